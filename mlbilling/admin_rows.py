"""Editable columns of an admin list (`list_editable`): Django renders their inputs without
labels, so a screen reader hears "edit text" in every row. Each input is named by its
column and its row."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst


def labelled_row_form(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """`form_class` whose inputs carry an aria-label "<Column> (<row>)"."""

    class LabelledRowForm(form_class):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.widget.attrs["aria-label"] = f"{capfirst(field.label)} ({self.instance})"

    return LabelledRowForm
