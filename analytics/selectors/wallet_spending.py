"""The top spenders of a period, from the per-wallet running spending
(`analytics.models.WalletSpending`, folded by `analytics.wallet_spending`).

A wallet's spending over days a..b is its running spending at the end of b less that at
the end of the day before a: two values per wallet whatever the window, where summing the
transfers of a year reads twenty million rows at ten times the benchmark's data. Days
after the roll-ups' watermark are summed from the raw transfers, so the result is exact
whatever the schedule's delay, as for every roll-up.

Plain SQL, portable between PostgreSQL and SQLite (the fold needs INSERT ... ON CONFLICT
adding the existing row's value, which the ORM cannot write): the pieces both use are here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import connection

from analytics.models import WalletSpending
from analytics.periods import Period
from analytics.selectors import daily
from analytics.selectors.common import SPENDING_KINDS
from billing.models import Transfer, TransferKind

TABLE = WalletSpending._meta.db_table
TRANSFERS = Transfer._meta.db_table
# What a transfer adds to spending: a charge or a capture counts, a refund takes back
# (as `analytics.selectors.common.spending_amount`, in SQL).
SPENT = f"CASE WHEN kind = '{TransferKind.REFUND}' THEN -amount ELSE amount END"
SPENDING = "kind IN ({})".format(", ".join(f"'{kind}'" for kind in SPENDING_KINDS))


def column_of(day: int) -> str:
    return f"through_{day:02}"


def running_sql(day: int, table: str = "") -> str:
    """SQL of the running spending at the end of day `day` of a row's month."""
    prefix = f"{table}." if table else ""
    columns = [f"{prefix}{column_of(k)}" for k in range(day, 0, -1)]
    if not columns:  # SQLite's COALESCE wants two arguments at least
        return f"{prefix}opening"
    return f"COALESCE({', '.join([*columns, f'{prefix}opening'])})"


def instant_param(moment: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(moment)


def month_param(day: date) -> object:
    return connection.ops.adapt_datefield_value(day.replace(day=1))


def top_spenders(period: Period, limit: int) -> list[tuple[int, int]]:
    """(wallet id, spending) of the `limit` wallets that spent the most in the period,
    most first (ties by wallet id); only wallets that spent more than they got back."""
    folded, raw = daily.split(period)
    parts, parameters = [], []
    if folded:
        before = folded.first - timedelta(days=1)
        parts += [
            f"SELECT wallet_id, {running_sql(folded.last.day)} AS spent "  # noqa: S608
            f"FROM {TABLE} WHERE month = %s",
            f"SELECT wallet_id, -{running_sql(before.day)} AS spent "  # noqa: S608
            f"FROM {TABLE} WHERE month = %s",
        ]
        parameters += [month_param(folded.last), month_param(before)]
    if raw:
        parts.append(
            f"SELECT wallet_id, {SPENT} AS spent FROM {TRANSFERS} "  # noqa: S608
            f"WHERE created_at >= %s AND created_at < %s AND {SPENDING}"
        )
        parameters += [instant_param(raw.start), instant_param(raw.end)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wallet_id, SUM(spent) AS total FROM ("  # noqa: S608
            + " UNION ALL ".join(parts)
            + ") AS parts GROUP BY wallet_id HAVING SUM(spent) > 0 "
            "ORDER BY total DESC, wallet_id LIMIT %s",
            [*parameters, limit],
        )
        return [(wallet, int(spent)) for wallet, spent in cursor.fetchall()]
