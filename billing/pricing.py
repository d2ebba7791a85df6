"""What credits cost in money: the price the top-up and checkout pages show beside an
amount of credits (settings BILLING_CURRENCY and BILLING_CREDIT_PRICE_MINOR)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format

from billing.money import UNITS_PER_CREDIT


def price_minor(units: int) -> int:
    """The price of `units` hundredths of a credit in the currency's minor units, rounded
    up to a whole minor unit (a sale never rounds in the buyer's favour by accident)."""
    return -(-units * settings.BILLING_CREDIT_PRICE_MINOR // UNITS_PER_CREDIT)


def price_text(units: int) -> str:
    """ "12.50 EUR", formatted like every other number on the page ("12,50 EUR" in
    Russian; see billing.money.credits_number)."""
    amount = Decimal(price_minor(units)) / 100
    return f"{number_format(amount, decimal_pos=2)} {settings.BILLING_CURRENCY}"
