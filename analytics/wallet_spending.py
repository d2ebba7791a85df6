"""Folding closed days into the per-wallet running spending
(`analytics.models.WalletSpending`; its read is `analytics.selectors.wallet_spending`).

Called by `analytics.rollups` with the days after the watermark, in order: a month's
first day opens the month (a row per wallet of the month before, carrying its running
spending), then each wallet that spent gets its running spending on the days it spent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from django.db import connection

from analytics.periods import Period
from analytics.selectors.wallet_spending import (
    SPENDING,
    SPENT,
    TABLE,
    TRANSFERS,
    column_of,
    instant_param,
    month_param,
    running_sql,
)


def _months(period: Period) -> Iterator[Period]:
    """The period cut at month boundaries."""
    first = period.first
    while first <= period.last:
        next_month = (first.replace(day=1) + timedelta(days=31)).replace(day=1)
        last = min(period.last, next_month - timedelta(days=1))
        yield Period(first, last)
        first = next_month


def spending_fold(period: Period) -> None:
    """Fold the closed days of `period`, which follow the days folded so far."""
    for days in _months(period):
        if days.first.day == 1:
            _carry_into(days.first)
        _fold_month_days(days)


def _carry_into(month: date) -> None:
    """Open a month: every wallet of the month before gets a row, its running spending
    at that month's end as the opening."""
    before = (month - timedelta(days=1)).replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (month, wallet_id, opening) "  # noqa: S608
            f"SELECT %s, wallet_id, {running_sql(31)} FROM {TABLE} WHERE month = %s",
            [month_param(month), month_param(before)],
        )


def _fold_month_days(days: Period) -> None:
    """Write the running spending of each wallet that spent on the days (all in one
    month): the transfers summed per wallet and day, made running, one column per day; a
    wallet with a row adds its running spending before the first of the days."""
    numbers = [day.day for day in days.days()]
    ends = [instant_param(Period(day, day).end) for day in days.days()]
    day_number = (
        "CASE " + " ".join(f"WHEN created_at < %s THEN {number}" for number in numbers) + " END"
    )
    columns = ", ".join(column_of(number) for number in numbers)
    pivot = ", ".join(f"MAX(CASE WHEN day = {number} THEN running END)" for number in numbers)
    before = running_sql(numbers[0] - 1, TABLE)
    updates = ", ".join(
        f"{column_of(number)} = excluded.{column_of(number)} + {before}" for number in numbers
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (month, wallet_id, opening, {columns}) "  # noqa: S608
            f"SELECT %s, wallet_id, 0, {pivot} FROM ("
            "  SELECT wallet_id, day, SUM(spent) OVER (PARTITION BY wallet_id ORDER BY day)"
            "  AS running FROM ("
            f"    SELECT wallet_id, {day_number} AS day, SUM({SPENT}) AS spent"
            f"    FROM {TRANSFERS} WHERE created_at >= %s AND created_at < %s AND {SPENDING}"
            "    GROUP BY 1, 2"
            "  ) AS per_day"
            ") AS runs WHERE true GROUP BY wallet_id "
            f"ON CONFLICT (month, wallet_id) DO UPDATE SET {updates}",
            [month_param(days.first), *ends, instant_param(days.start), instant_param(days.end)],
        )
