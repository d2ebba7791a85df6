"""What credits cost in money: the price the top-up and checkout pages show beside an
amount of credits (settings BILLING_CURRENCY and BILLING_CREDIT_PRICE_MINOR)."""

from __future__ import annotations

from django.conf import settings
from django.utils.formats import get_format

from billing.money import UNITS_PER_CREDIT


def price_minor(units: int) -> int:
    """The price of `units` hundredths of a credit in the currency's minor units, rounded
    up to a whole minor unit (a sale never rounds in the buyer's favour by accident)."""
    return -(-units * settings.BILLING_CREDIT_PRICE_MINOR // UNITS_PER_CREDIT)


def price_text(units: int) -> str:
    """ "12.50 EUR" (with the active language's decimal separator)."""
    whole, cents = divmod(price_minor(units), 100)
    separator = get_format("DECIMAL_SEPARATOR")
    return f"{whole}{separator}{cents:02d} {settings.BILLING_CURRENCY}"
