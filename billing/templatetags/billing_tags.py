from __future__ import annotations

from django import template

from billing.money import credits_number

register = template.Library()


@register.filter
def credits(units: int | None) -> str:
    """Hundredths of a credit as "12.50", with the decimal separator of the page's language
    ("12,50" in Russian), like every other number on the page."""
    if units is None:
        return ""
    return credits_number(int(units))
