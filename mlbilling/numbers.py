"""Numbers typed as text, read by one rule wherever a person types one: batch cells and
top-up amounts.

The rule: ASCII only. An optional sign, digits, an optional `.` followed by digits, an
optional exponent (`e` or `E`, an optional sign, digits); surrounding ASCII whitespace is
trimmed. Nothing else: no underscores (`2_7`), no Unicode digits (full-width,
Arabic-Indic...), no `nan` or `inf`, no `1.` or `.5`, no hexadecimal. The value must be
finite and within the field's range; a value beyond the range of a float ("1" and 400
zeros) is out of range, never a crash. Python's `float()` and `Decimal()` accept most of
the refused forms, which is why neither is ever called on text this rule has not passed.

`parse_number` reads one text; `parse_number_column` reads a whole column with the same
rule in Arrow's C kernels (a property test holds the two equal).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

# `[0-9]` and an ASCII whitespace set, not `\d` and `\s`: those match Unicode digits and
# spaces in Python, and Arrow's RE2 would read them differently again.
PATTERN = r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
SPACE = " \t\n\r\v\f"
_NUMBER = re.compile(PATTERN)
_ANCHORED = f"^{PATTERN}$"


class NumberError(ValueError):
    """The text is not a number by the rule (`reason` "syntax"), or is one outside the
    allowed range (`reason` "range"); the message is safe to show."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def number_text(text: str) -> str:
    """The trimmed text if it is a number by the rule; raises `NumberError` otherwise."""
    trimmed = text.strip(SPACE) if isinstance(text, str) else ""
    if not _NUMBER.fullmatch(trimmed):
        raise NumberError("syntax", _("A number is required."))
    return trimmed


def _out_of_range(number: float, minimum: float | None, maximum: float | None) -> NumberError:
    # The messages are the schema's own, so a cell and a JSON value read alike.
    if number > 0 and maximum is not None:
        return NumberError("range", _("Must be at most %(maximum)g.") % {"maximum": maximum})
    if number < 0 and minimum is not None:
        return NumberError("range", _("Must be at least %(minimum)g.") % {"minimum": minimum})
    return NumberError("range", _("The number is out of range."))


def parse_number(text: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """One text -> a finite float within [minimum, maximum], or `NumberError`."""
    number = float(number_text(text))  # syntax checked: float() only sees plain numbers
    if (
        not math.isfinite(number)
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
    ):
        raise _out_of_range(number, minimum, maximum)
    return number


def parse_decimal(text: str) -> Decimal:
    """One text -> an exact Decimal (for money, whose bounds the caller checks), or
    `NumberError` when the text is not a number by the rule."""
    return Decimal(number_text(text))


def parse_number_column(
    texts: Sequence[str] | pa.Array,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A column of texts -> (float64 values, mask of the texts `parse_number` accepts).

    Refused texts are NaN in the values. Every step is one Arrow or NumPy kernel over
    the whole column."""
    array = texts if isinstance(texts, pa.Array) else pa.array(texts, type=pa.string())
    trimmed = pc.utf8_trim(array, SPACE)
    matches = pc.fill_null(pc.match_substring_regex(trimmed, _ANCHORED), False)
    plain = pc.if_else(matches, trimmed, "nan")
    # Arrow reads "1e400" as inf, as float() does: out of range below.
    values = pc.cast(plain, pa.float64()).to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values)
        if minimum is not None:
            ok &= values >= minimum
        if maximum is not None:
            ok &= values <= maximum
    return values, ok
