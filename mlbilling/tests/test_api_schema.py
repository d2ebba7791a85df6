"""The amount pattern admits exactly the amounts of its range, whatever the bounds."""

from __future__ import annotations

import re

import pytest

from mlbilling.api_schema import amount_pattern


@pytest.mark.parametrize(
    ("low", "high"), [(500, 100_000), (1, 99), (550, 1_234_567), (5, 5), (0, 100), (1999, 2001)]
)
def test_the_amount_pattern_admits_exactly_its_range(low, high):
    pattern = re.compile(amount_pattern(low, high))

    for units in [*range(0, 2500), *range(high - 200, high + 200), 10**7, 10**8 + 7]:
        text = f"{units // 100}.{units % 100:02d}"
        assert bool(pattern.match(text)) is (low <= units <= high), text
    for text in ["05.00", "5.0", "+5.00", "5", " 5.00", "5.000"]:
        assert not pattern.match(text), text
