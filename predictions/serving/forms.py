"""The website's prediction form, generated from a case's input schema.

Django fields here only turn what a browser sends into JSON-like values (numbers, lists,
ISO date strings); the case schema stays the one judge of the input, exactly as in the
API, and its errors are put back next to the fields. Empty inputs are left out of the row
(or sent as null when the field is nullable), so "required" also comes from the schema.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from mlbilling.widgets import IsoDateInput
from predictions.ml.cases.base import Case
from predictions.ml.schema import Field, SchemaError
from predictions.models import Prediction
from predictions.registry.selectors import model_list
from predictions.serving.name_picker import NamePicker
from predictions.serving.pattern_texts import pattern_translated
from predictions.serving.words import word

# A multi-select with more options than this becomes a search box with chips over a
# scrolling checkbox grid.
CHECKBOX_GRID_MIN = 8


class PredictForm(forms.Form):
    # A new key each time the form is shown: a double click or a resubmitted page charges
    # once (the key is spent only by a success).
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.schema_fields = _shown_fields(case)
        for field in self.schema_fields:
            self.fields[field.name] = _form_field(field)
        if not self.is_bound:
            self.initial = {
                "idempotency_key": uuid.uuid4().hex,
                **{
                    f.name: _initial(f, case.example[f.name])
                    for f in self.schema_fields
                    if f.name in case.example
                },
            }

    def row(self) -> dict[str, Any]:
        """The cleaned form as one JSON row for `prediction_run` (call after is_valid)."""
        row: dict[str, Any] = {}
        for field in self.schema_fields:
            value = _to_json(field, self.cleaned_data.get(field.name))
            if value is not None:
                row[field.name] = value
            elif field.nullable:
                row[field.name] = None
        return row

    def add_schema_errors(self, error: SchemaError) -> None:
        for row_errors in error.errors.values():
            for name, messages in row_errors.items():
                target = name if name in self.fields else None
                for message in messages:
                    self.add_error(target, message)


def _shown_fields(case: Case) -> list[Field]:
    """The case's fields, less optional ones that a multi-select already offers.

    Case 1 accepts either a list of the permissions present or 241 separate 0/1 fields:
    the form shows the one picker, not 241 number boxes.
    """
    fields = case.schema.fields
    offered = {name for f in fields if f.kind == "multichoice" for name in f.choices}
    return [f for f in fields if f.required or f.name not in offered]


def _help(field: Field) -> str:
    # Case texts are marked with gettext_noop where they are written: translated here.
    parts = [pattern_translated(field.description) if field.description else ""]
    if field.unit:
        parts.append(str(_("Unit: %(unit)s.") % {"unit": pattern_translated(field.unit)}))
    if field.minimum is not None and field.maximum is not None:
        parts.append(
            str(_("From %(min)g to %(max)g.") % {"min": field.minimum, "max": field.maximum})
        )
    return " ".join(p for p in parts if p)


def _form_field(field: Field) -> forms.Field:
    common: dict[str, Any] = {
        "label": pattern_translated(field.label) if field.label else field.name,
        "help_text": _help(field),
        "required": False,
    }
    bounds = {
        key: f"{value:g}"
        for key, value in (("min", field.minimum), ("max", field.maximum))
        if value is not None
    }
    if field.parser is not None and field.kind in ("number", "integer"):
        # The case parses the value itself and may accept a convenient text form
        # (e.g. "51 years 108 days"): a text box, numbers still sent as numbers.
        return forms.CharField(**common)
    if field.kind == "number":
        return forms.FloatField(widget=forms.NumberInput({**bounds, "step": "any"}), **common)
    if field.kind == "integer":
        return forms.IntegerField(widget=forms.NumberInput({**bounds, "step": "1"}), **common)
    if field.kind == "boolean":
        if field.nullable:
            return forms.NullBooleanField(**common)
        return forms.BooleanField(**common)
    if field.kind == "choice":
        choices = [("", "—"), *((c, word(c)) for c in field.choices)]
        return forms.ChoiceField(choices=choices, **common)
    if field.kind == "multichoice":
        widget = NamePicker if len(field.choices) >= CHECKBOX_GRID_MIN else forms.SelectMultiple
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in field.choices], widget=widget, **common
        )
    if field.kind == "datetime":
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            **common,
        )
    long_text = field.max_length is None or field.max_length > 300
    widget = forms.Textarea(attrs={"rows": 3}) if long_text else forms.TextInput(attrs={"size": 60})
    return forms.CharField(widget=widget, max_length=field.max_length, **common)


def _initial(field: Field, value: Any) -> Any:
    if field.kind == "datetime" and isinstance(value, str):
        return parse_datetime(value)
    return value


def _to_json(field: Field, value: Any) -> Any:
    if field.kind == "multichoice":
        # No box ticked is an answer ("none of these"), not a missing field.
        return list(value or [])
    if value is None or value == "":
        return None
    if isinstance(value, str) and field.parser is not None and field.kind in ("number", "integer"):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class HistoryFilterForm(forms.Form):
    model = forms.ChoiceField(label=_("Model"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any")), *Prediction.Status.choices],
    )
    created_from = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    created_to = forms.DateField(label=_("To"), required=False, widget=IsoDateInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [
            ("", _("any")),
            *((m.model.slug, _(m.model.title)) for m in model_list()),
        ]
