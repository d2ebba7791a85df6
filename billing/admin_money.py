"""Money on the admin's pages: every amount shown in credits with two decimals and the
unit, every amount typed in credits. The database keeps hundredths; an operator never
sees or types them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Field, Model
from django.utils.translation import gettext

from billing.forms import CreditsField
from billing.money import credits_text


def credits_display(field: str, description: Any) -> Callable[[Any, Model], str]:
    """An admin column or read-only field showing the model's `field` in credits, sorted
    by the stored amount."""

    @admin.display(description=description, ordering=field)
    def show(_admin: Any, obj: Model) -> str:
        return credits_text(getattr(obj, field))

    return show


def credits_formfield(field: Field, **overrides: Any) -> CreditsField:
    """The form field for a stored amount: typed in credits ("0.05"), cleaned to hundredths."""
    options = {
        "label": field.verbose_name,
        "required": not field.blank,
        "min_units": 0,
        "help_text": gettext("In credits, e.g. 0.05."),
    }
    return CreditsField(**(options | overrides))
