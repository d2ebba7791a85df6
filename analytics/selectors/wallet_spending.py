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

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.db import connection, transaction

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
    most first (ties by wallet id); only wallets that spent more than they got back.

    One grouping per wallet of: its running spending at the end of the last folded day
    (from its row of that month) less that at the end of the day before the first (from
    its row of that month, the same row when both days share a month; a wallet without
    one had spent nothing yet), and its transfers after the watermark. One scan of the
    two months' rows: joining them instead made PostgreSQL hash the rows' every column.
    """
    folded, raw = daily.split(period)
    parts, parameters = [], []
    if folded:
        before = folded.first - timedelta(days=1)
        parts.append(
            f"SELECT wallet_id, CASE WHEN month = %s THEN {running_sql(folded.last.day)} "  # noqa: S608
            f"ELSE 0 END - CASE WHEN month = %s THEN {running_sql(before.day)} ELSE 0 END "
            f"AS spent FROM {TABLE} WHERE month IN (%s, %s)"
        )
        months = [month_param(folded.last), month_param(before)]
        parameters += months * 2
    if raw:
        parts.append(
            f"SELECT wallet_id, {SPENT} AS spent FROM {TRANSFERS} "  # noqa: S608
            f"WHERE created_at >= %s AND created_at < %s AND {SPENDING}"
        )
        parameters += [instant_param(raw.start), instant_param(raw.end)]
    with _planned_for_every_wallet(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT wallet_id, CAST(SUM(spent) AS BIGINT) AS total FROM ("  # noqa: S608
            + " UNION ALL ".join(parts)
            + ") AS parts GROUP BY wallet_id HAVING SUM(spent) > 0 "
            "ORDER BY total DESC, wallet_id LIMIT %s",
            [*parameters, limit],
        )
        return cursor.fetchall()


@contextmanager
def _planned_for_every_wallet() -> Iterator[None]:
    """On PostgreSQL, a transaction whose plan keeps one hash table of every wallet in
    memory, in this process: expecting 200 groups of a UNION (its default), it would plan
    parallel workers that each spill their groups to disk and sort them again, three to
    four times slower at 100,000 wallets."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield
