from django.contrib import admin

from predictions.batch.services import batch_job_cancel
from predictions.models import BatchJob


# --- Batch jobs ---------------------------------------------------------------------------
@admin.register(BatchJob)
class BatchJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "model",
        "status",
        "rows_total",
        "rows_done",
        "rows_failed",
        "max_cost",
        "charged",
        "attempt",
        "heartbeat_at",
        "created_at",
    ]
    list_filter = ["status", "model"]
    search_fields = ["user__email", "original_name", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "model"]
    # Jobs change only through their services (holds and captures move money): the admin
    # shows them; cancelling goes through the action below.
    readonly_fields = [f.name for f in BatchJob._meta.fields]
    actions = ["cancel_jobs"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    @admin.action(description="Cancel the selected jobs (paying only for rows done)")
    def cancel_jobs(self, request, queryset):  # type: ignore[no-untyped-def]
        for job in queryset:
            batch_job_cancel(job=job)
        self.message_user(request, f"Cancel requested for {queryset.count()} job(s).")
