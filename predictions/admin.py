from __future__ import annotations

from django.contrib import admin

from predictions.models import Prediction

# --- Prediction records (prediction API helper) ---------------------------------------


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    """Read-only: a record is what happened (the charge is in the ledger, by its id)."""

    list_display = ["id", "created_at", "user", "model_version", "status", "rows", "cost", "source"]
    list_filter = ["status", "source", "model_version__model", "created_at"]
    search_fields = ["=id", "user__email", "idempotency_key"]
    list_select_related = ["user", "model_version__model"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Prediction._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
