"""Credits at the edges: amounts live as integers in hundredths of a credit everywhere
else, and are only turned into text here."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mlbilling.errors import DomainError
from mlbilling.numbers import NumberError, parse_decimal

UNITS_PER_CREDIT = 100
# Ten million credits: far above any real top-up or grant, far below where a 64-bit column
# or a careless multiplication could overflow.
MAX_UNITS = 10_000_000 * UNITS_PER_CREDIT


class InvalidAmount(ValueError, DomainError):
    """An amount a person typed that cannot be money; the message is safe to show them."""

    code = "invalid_amount"
    status_code = 400


def format_credits(units: int) -> str:
    """1250 -> "12.50"; always two decimals, negatives keep their sign."""
    sign = "-" if units < 0 else ""
    whole, cents = divmod(abs(units), UNITS_PER_CREDIT)
    return f"{sign}{whole}.{cents:02d}"


def credits_number(units: int) -> str:
    """1250 -> "12.50" for a reader: the decimal separator of the active language ("12,50"
    in Russian), by the same rule as every other number on the page (Django's
    number_format). `format_credits` is the machine form: the API, CSV files and the value
    of an input, which `parse_credits` reads back."""
    return number_format(Decimal(units) / UNITS_PER_CREDIT, decimal_pos=2)


def credits_text(units: int | None) -> str:
    """1250 -> "12.50 credits" (in Russian "12,50 кредита"), for pages where no heading
    names the unit; nothing for no amount."""
    return "" if units is None else f"{credits_number(units)} {_('credits')}"


def parse_credits(text: str) -> int:
    """ "12.50" -> 1250. Raises InvalidAmount for anything that is not a number by the one
    rule (`mlbilling.numbers`), has more than two decimals or is larger than MAX_UNITS.
    The sign is the caller's business."""
    cleaned = (text or "").strip() if isinstance(text, str) else ""
    if not cleaned:
        raise InvalidAmount(_("Enter an amount."))
    try:
        # The one rule every typed number follows (mlbilling/numbers.py), read exactly.
        value = parse_decimal(cleaned)
    except NumberError:
        raise InvalidAmount(_("Enter a number, like 12.50.")) from None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise InvalidAmount(_("Use at most two decimal places."))
    if abs(value) > Decimal(MAX_UNITS) / UNITS_PER_CREDIT:
        raise InvalidAmount(
            _("The amount is too large (at most %(max)s credits).")
            % {"max": credits_number(MAX_UNITS)}
        )
    return int(value * UNITS_PER_CREDIT)


def check_credit_bounds(units: int, *, low: int | None = None, high: int | None = None) -> int:
    """Return `units` if it lies within [low, high]; raise InvalidAmount otherwise."""
    if low is not None and units < low:
        raise InvalidAmount(_("The minimum is %(min)s credits.") % {"min": credits_number(low)})
    if high is not None and units > high:
        raise InvalidAmount(_("The maximum is %(max)s credits.") % {"max": credits_number(high)})
    return units
