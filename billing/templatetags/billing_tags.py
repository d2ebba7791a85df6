from __future__ import annotations

from django import template

from billing.models import Transfer
from billing.money import credits_number
from billing.pricing import price_text
from billing.statement_lines import line_text

register = template.Library()


@register.filter
def credits(units: int | None) -> str:
    """Hundredths of a credit as "12.50", with the decimal separator of the page's language
    ("12,50" in Russian), like every other number on the page."""
    if units is None:
        return ""
    return credits_number(int(units))


@register.filter
def statement_line(transfer: Transfer) -> str:
    """What the movement was for, in the page's language."""
    return line_text(transfer)


@register.filter
def price(units: int) -> str:
    """What `units` hundredths of a credit cost, with the currency: "10.00 EUR"."""
    return price_text(int(units))
