from __future__ import annotations

from django import template

from billing.money import format_credits

register = template.Library()


@register.filter
def credits(units: int | None) -> str:
    """Hundredths of a credit as "12.50"."""
    return "" if units is None else format_credits(int(units))
