from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from billing.money import credits_number
from predictions.batch.csv_rows import LIST_SEPARATOR
from predictions.batch.services import BatchError, BatchFileError, UploadCheck, batch_upload_check
from predictions.ml.cases import CASES
from predictions.models import MLModel

# The models in the order of the catalogue page (the registry's), not the table's.
REGISTRY_ORDER = Case(
    *(When(slug=slug, then=Value(place)) for place, slug in enumerate(CASES)),
    output_field=IntegerField(),
)


class BatchUploadForm(forms.Form):
    model = forms.ModelChoiceField(
        label=_("Model"),
        queryset=MLModel.objects.filter(is_active=True, versions__status="production")
        .distinct()
        .order_by(REGISTRY_ORDER),
        to_field_name="slug",
        empty_label=None,
    )
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    check: UploadCheck | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Filled in here, not on the class: a lazy text formatted at import would be
        # frozen in the language of the moment the module was loaded.
        self.fields["file"].help_text = _(
            "UTF-8 CSV; the first line names the columns (the model's input fields). "
            "Empty cells are missing values; list several choices in one cell separated by "
            "“%(separator)s”."
        ) % {"separator": LIST_SEPARATOR}
        self.fields["model"].label_from_instance = lambda m: (
            _("%(title)s (%(price)s credits per row)")
            % {"title": _(m.title), "price": credits_number(m.price_per_row)}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.check = batch_upload_check(model_slug=data["model"].slug, upload=data["file"])
        except BatchFileError as exc:
            self.add_error("file", exc.messages)
        except BatchError as exc:
            self.add_error("model", str(exc))
        return data
