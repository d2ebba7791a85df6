from __future__ import annotations

from django import template
from django.utils.formats import get_format

from billing.money import format_credits

register = template.Library()


@register.filter
def credits(units: int | None) -> str:
    """Hundredths of a credit as "12.50", with the decimal separator of the page's language
    ("12,50" in Russian), like every other number on the page."""
    if units is None:
        return ""
    return format_credits(int(units)).replace(".", get_format("DECIMAL_SEPARATOR"))
