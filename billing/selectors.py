"""Reads on the ledger: balances, statements, top-ups and the reconciliation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import connection
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from billing.models import Account, Hold, HoldStatus, TopUp, Transfer


@dataclass(frozen=True)
class WalletBalance:
    balance: int
    held: int
    available: int


def wallet_balance(*, user: User) -> WalletBalance:
    """The user's balance, held credits and what is left to spend (zeros without a wallet)."""
    row = Account.objects.filter(user=user).values_list("balance", "held").first()
    balance, held = row if row else (0, 0)
    return WalletBalance(balance=balance, held=held, available=balance - held)


def wallet_low_balance_threshold(*, user: User) -> int | None:
    return Account.objects.filter(user=user).values_list("low_balance_threshold", flat=True).first()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def wallet_statement(
    *,
    user: User,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Transfer]:
    """Every movement on the user's wallet, newest first; `date_to` is inclusive."""
    transfers = Transfer.objects.filter(wallet__user=user).order_by("-created_at", "-id")
    if kind:
        transfers = transfers.filter(kind=kind)
    if date_from:
        transfers = transfers.filter(created_at__gte=_day_start(date_from))
    if date_to:
        transfers = transfers.filter(
            created_at__lt=_day_start(date_to) + timezone.timedelta(days=1)
        )
    return transfers


def topups_of(*, user: User) -> QuerySet[TopUp]:
    return TopUp.objects.filter(user=user)


def account_balance(*, code: str) -> int:
    """A system account's balance, derived from its transfers (may be negative)."""
    credits = Transfer.objects.filter(credit__code=code).aggregate(s=Sum("amount"))["s"] or 0
    debits = Transfer.objects.filter(debit__code=code).aggregate(s=Sum("amount"))["s"] or 0
    return credits - debits


@dataclass(frozen=True)
class LedgerDifference:
    account: str
    field: str
    cached: int
    computed: int


@dataclass(frozen=True)
class Reconciliation:
    differences: list[LedgerDifference]
    wallets: int
    total: int  # the sum of every account's balance; double entry makes it zero

    @property
    def clean(self) -> bool:
        return not self.differences and self.total == 0


# Every account's net (credits in less debits out) in one read of the transfers: each
# transfer is joined to two sides, +amount to its credit account and -amount to its debit.
_NET_PER_ACCOUNT_SQL = (
    "SELECT CASE WHEN side.sign = 1 THEN t.credit_id ELSE t.debit_id END, "  # noqa: S608
    # PostgreSQL sums bigints as numeric: cast back, or the sums come back as Decimals.
    "CAST(SUM(side.sign * t.amount) AS BIGINT) "
    f"FROM {Transfer._meta.db_table} t "
    "CROSS JOIN (SELECT 1 AS sign UNION ALL SELECT -1) side GROUP BY 1"
)


def ledger_reconcile() -> Reconciliation:
    """Recompute every wallet from its transfers and active holds and compare with the
    cached columns; also sum every account, which double entry keeps at zero."""
    with connection.cursor() as cursor:
        cursor.execute(_NET_PER_ACCOUNT_SQL)
        net: dict[int, int] = defaultdict(int, cursor.fetchall())
    held = dict(
        Hold.objects.filter(status=HoldStatus.ACTIVE)
        .values_list("wallet")
        .annotate(Sum("amount"))
        .order_by()
    )
    differences = []
    wallets = Account.objects.filter(user__isnull=False).select_related("user")
    for wallet in wallets:
        if wallet.balance != net[wallet.pk]:
            differences.append(
                LedgerDifference(str(wallet), "balance", wallet.balance or 0, net[wallet.pk])
            )
        if wallet.held != held.get(wallet.pk, 0):
            differences.append(
                LedgerDifference(str(wallet), "held", wallet.held or 0, held.get(wallet.pk, 0))
            )
    return Reconciliation(differences=differences, wallets=len(wallets), total=sum(net.values()))
