from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from billing.admin import ActionsOnlyAdmin
from billing.admin_money import credits_display, credits_formfield
from mlbilling.admin_json import json_display
from mlbilling.admin_rows import labelled_row_form
from predictions.batch.services import batch_job_cancel
from predictions.ml.cases import CASES
from predictions.models import BatchJob, MLModel, ModelVersion, Prediction
from predictions.registry.errors import RegistryError
from predictions.registry.services import (
    model_version_promote,
    model_version_rollback,
    model_version_upload,
)


@admin.register(MLModel)
class MLModelAdmin(admin.ModelAdmin):
    list_display = ["slug", "shown_title", "price_per_row", "is_active", "production"]
    list_editable = ["price_per_row", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["slug", "title"]
    readonly_fields = ["slug", "created_at"]
    fields = ["slug", "title", "description", "price_per_row", "is_active", "created_at"]

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        return labelled_row_form(super().get_changelist_form(request, **kwargs))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The price is typed in credits, here and in the list's editable column.
        if db_field.name == "price_per_row":
            return credits_formfield(db_field, help_text=_("Credits per predicted row, e.g. 0.05."))
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("title", "description"):
            # The English source text the site translates from the catalogue: marked as
            # English for screen readers (and the page sweep), whatever the admin's language.
            field.widget.attrs["lang"] = "en"
            field.help_text = _("In English: the site shows its translation from the catalogue.")
        return field

    @admin.display(description=_("title"), ordering="title")
    def shown_title(self, obj: MLModel) -> str:
        return gettext(obj.title)

    @admin.display(description=_("production version"))
    def production(self, obj: MLModel) -> str:
        version = obj.versions.filter(status=ModelVersion.Status.PRODUCTION).first()
        return f"v{version.version}" if version else "—"

    # Models come from the cases (train_models creates them); deleting one would orphan
    # its predictions' history.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ArtifactUploadForm(forms.Form):
    case = forms.ChoiceField(label=_("Model"))
    artifact = forms.FileField(
        label=_("Artifact (.joblib)"),
        help_text=_(
            "A file written by predictions.registry.artifacts.artifact_dumps. It is unpickled "
            "to be checked: upload only files you trust."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [(slug, gettext(case.title)) for slug, case in CASES.items()]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["model", "version", "status", "trained_at", "promoted_at", "short_sha256"]
    list_filter = ["status", "model"]
    list_select_related = ["model"]
    search_fields = ["model__slug", "sha256", "data_fingerprint"]
    ordering = ["model__slug", "-version"]
    actions = ["promote", "roll_back"]
    change_list_template = "admin/predictions/modelversion/change_list.html"
    readonly_fields = [
        "model",
        "version",
        "status",
        "artifact",
        "sha256",
        "trained_at",
        "promoted_at",
        "created_at",
        "data_fingerprint",
        "metrics_json",
        "input_schema_json",
        "library_versions_json",
        "card_json",
    ]

    # The stored JSON is shown indented by the fields above, never as editable text.
    exclude = ["metrics", "input_schema", "library_versions", "card"]
    metrics_json = json_display("metrics", _("metrics"))
    input_schema_json = json_display("input_schema", _("input schema"))
    library_versions_json = json_display("library_versions", _("library versions"))
    card_json = json_display("card", _("card"))

    @admin.display(description="sha256")
    def short_sha256(self, obj: ModelVersion) -> str:
        return obj.sha256[:12]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # new versions come from train_models or the upload view

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Promote the selected version to production"))
    def promote(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.ERROR)
            return
        version = model_version_promote(version_id=queryset.get().pk)
        self.log_change(request, version, f"Promoted v{version.version} to production.")
        self.message_user(
            request,
            gettext("%(model)s v%(version)d is in production.")
            % {"model": version.model.slug, "version": version.version},
        )

    @admin.action(description=_("Roll back the selected versions' models"))
    def roll_back(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for slug in sorted(set(queryset.values_list("model__slug", flat=True))):
            try:
                version = model_version_rollback(slug=slug)
            except RegistryError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            self.log_change(request, version, f"Rolled back to v{version.version}.")
            self.message_user(
                request,
                gettext("%(model)s rolled back to v%(version)d.")
                % {"model": slug, "version": version.version},
            )

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="predictions_modelversion_upload",
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("predictions.add_modelversion"):
            raise PermissionDenied
        form = ArtifactUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                version = model_version_upload(
                    slug=form.cleaned_data["case"], content=form.cleaned_data["artifact"].read()
                )
            except RegistryError as exc:
                form.add_error("artifact", str(exc))
            else:
                self.log_addition(request, version, "Uploaded artifact.")
                self.message_user(
                    request,
                    gettext("%(model)s v%(version)d uploaded as a candidate.")
                    % {"model": version.model.slug, "version": version.version},
                )
                return HttpResponseRedirect(
                    reverse("admin:predictions_modelversion_change", args=[version.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Upload a model artifact"),
            "form": form,
        }
        return TemplateResponse(request, "admin/predictions/modelversion/upload.html", context)


# --- Prediction records (prediction API helper) ---------------------------------------

# Stored amounts (hundredths) and JSON, and the admin fields that show them in credits or
# indented.
_shown_as = {
    "cost": "cost_credits",
    "balance_after": "balance_after_credits",
    "price_per_row": "price_per_row_credits",
    "max_cost": "max_cost_credits",
    "charged": "charged_credits",
    "inputs": "inputs_json",
    "outputs": "outputs_json",
}


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    """Read-only: a record is what happened (the charge is in the ledger, by its id)."""

    list_display = [
        "id",
        "created_at",
        "user",
        "model_version",
        "status",
        "rows",
        "cost_credits",
        "source",
    ]
    list_filter = ["status", "source", "model_version__model", "created_at"]
    search_fields = ["=id", "user__email", "idempotency_key"]
    list_select_related = ["user", "model_version__model"]
    # At a million rows the exact total is a second COUNT(*) of the whole table and a date
    # hierarchy a scan for its distinct months (~0.5 s): the created_at filter stays.
    show_full_result_count = False
    fields = readonly_fields = [_shown_as.get(f.name, f.name) for f in Prediction._meta.fields]

    cost_credits = credits_display("cost", _("cost"))
    balance_after_credits = credits_display("balance_after", _("balance after"))
    inputs_json = json_display("inputs", _("inputs"))
    outputs_json = json_display("outputs", _("outputs"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Batch jobs ---------------------------------------------------------------------------
@admin.register(BatchJob)
class BatchJobAdmin(ActionsOnlyAdmin):
    list_display = [
        "id",
        "user",
        "model",
        "status",
        "rows_total",
        "rows_done",
        "rows_failed",
        "max_cost_credits",
        "charged_credits",
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
    fields = readonly_fields = [_shown_as.get(f.name, f.name) for f in BatchJob._meta.fields]
    actions = ["cancel_jobs"]

    price_per_row_credits = credits_display("price_per_row", _("price per row"))
    max_cost_credits = credits_display("max_cost", _("maximum cost"))
    charged_credits = credits_display("charged", _("charged"))

    @admin.action(description=_("Cancel the selected jobs (paying only for rows done)"))
    def cancel_jobs(self, request, queryset):
        for job in queryset:
            batch_job_cancel(job=job)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "Cancel requested for %(count)d job.", "Cancel requested for %(count)d jobs.", count
            )
            % {"count": count},
        )
