"""Money reports: revenue, the top spenders and the ledger's health.

The rules every report follows are in `analytics/selectors/__init__.py`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import (
    Count,
    Q,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from analytics.periods import Period, per_day
from analytics.selectors import daily
from analytics.selectors.common import (
    SPENDING_KINDS,
    model_slugs,
)
from analytics.selectors.wallet_spending import top_spenders
from analytics.tables import Column, Table
from billing.models import Account, Hold, HoldStatus, TransferKind
from billing.money import credits_text
from billing.selectors import Reconciliation, ledger_reconcile
from billing.system_accounts import REVENUE_PREFIX
from predictions.models import Prediction

TOP_USERS = 20
# A day without money movements, in the revenue report.
IDLE_DAY = {"revenue": 0, "topups": 0, "grants": 0, "adjustments": 0}


# --- Money ------------------------------------------------------------------------------


def revenue_report(*, period: Period) -> list[Table]:
    """Credits charged per model (revenue net of refunds), and per day with top-ups,
    grants and adjustments (credits an operator took back count negative).

    From the transfers grouped by (day, kind, system account), rolled up per day: the
    system account says which model earned a charge or gave a refund.
    """
    by_day, by_model = _revenue_totals(period)
    idle = {"charged": 0, "refunded": 0}
    per_model = [
        {
            "model": slug,
            **by_model.get(slug, idle),
            "revenue": by_model.get(slug, idle)["charged"] - by_model.get(slug, idle)["refunded"],
        }
        for slug in model_slugs(also=by_model)
    ]
    return [
        Table(
            slug="per-model",
            title=_("Revenue per model"),
            columns=[
                Column("model", _("Model")),
                Column("charged", _("Charged"), "credits"),
                Column("refunded", _("Refunded"), "credits"),
                Column("revenue", _("Revenue"), "credits"),
            ],
            rows=per_model,
            chart=("model", "revenue"),
        ),
        Table(
            slug="per-day",
            title=_("Revenue, top-ups, grants and adjustments per day"),
            columns=[
                Column("day", _("Day"), "date"),
                Column("revenue", _("Revenue"), "credits"),
                Column("topups", _("Top-ups"), "credits"),
                Column("grants", _("Grants"), "credits"),
                Column("adjustments", _("Adjustments"), "credits"),
            ],
            rows=[
                {"day": day, **values} for day, values in per_day(period, by_day.items(), IDLE_DAY)
            ],
            chart=("day", "revenue"),
        ),
    ]


def _revenue_totals(
    period: Period,
) -> tuple[dict[date, dict[str, int]], dict[str, dict[str, int]]]:
    """Per day: revenue, top-ups, grants, adjustments; per model: charged and refunded."""
    codes = dict(Account.objects.filter(code__isnull=False).values_list("pk", "code"))
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: dict(IDLE_DAY))
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: {"charged": 0, "refunded": 0})
    for day, kind, account, amount, signed in daily.transfers(period):
        model = codes[account].removeprefix(REVENUE_PREFIX)
        if kind == TransferKind.REFUND:
            by_model[model]["refunded"] += amount
            by_day[day]["revenue"] -= amount
        elif kind in SPENDING_KINDS:
            by_model[model]["charged"] += amount
            by_day[day]["revenue"] += amount
        elif kind == TransferKind.TOPUP:
            by_day[day]["topups"] += amount
        elif kind == TransferKind.GRANT:
            by_day[day]["grants"] += amount
        elif kind == TransferKind.ADJUSTMENT:
            by_day[day]["adjustments"] += signed
    return by_day, by_model


def top_users_report(*, period: Period, limit: int = TOP_USERS) -> list[Table]:
    """The users who spent the most in the period (charges and captures net of refunds),
    from the per-wallet running spending (`analytics.wallet_spending`)."""
    top = top_spenders(period, limit)
    users = {
        wallet: (pk, email)
        for wallet, pk, email in User.objects.filter(
            wallet__id__in=[wallet for wallet, _spent in top]
        ).values_list("wallet__id", "pk", "email")
    }
    predictions = dict(
        Prediction.objects.filter(**period.bounds(), user_id__in=[pk for pk, _ in users.values()])
        .order_by()
        .values_list("user_id")
        .annotate(Count("pk"))
    )
    rows = [
        {
            "rank": rank,
            "email": users[wallet][1],
            "spent": spent,
            "predictions": predictions.get(users[wallet][0], 0),
        }
        for rank, (wallet, spent) in enumerate(top, start=1)
    ]
    return [
        Table(
            slug="top-users",
            title=_("Top users by spending"),
            columns=[
                Column("rank", "#", "int"),
                Column("email", _("User")),
                Column("spent", _("Spent"), "credits"),
                Column("predictions", _("Predictions"), "int"),
            ],
            rows=rows,
        )
    ]


# --- Ledger -----------------------------------------------------------------------------


def ledger_report(*, period: Period, reconcile: bool = False) -> list[Table]:
    """Holds outstanding now, past their expiry but not yet released by the scheduled
    task, and expired in the period; with `reconcile`, billing's reconciliation too
    (every wallet's cached columns against its transfers, and the sum of all accounts).

    The reconciliation reads every transfer ever made (about 1.5 s at two million), so
    the page runs it when the operator asks rather than on every visit.
    """
    now = timezone.now()
    groups = {
        "outstanding": Q(status=HoldStatus.ACTIVE),
        "overdue": Q(status=HoldStatus.ACTIVE, expires_at__lt=now),
        "expired": Q(status=HoldStatus.EXPIRED, **period.bounds("settled_at")),
    }
    holds = Hold.objects.order_by().aggregate(
        **{f"{name}_count": Count("pk", filter=q) for name, q in groups.items()},
        **{f"{name}_amount": Sum("amount", filter=q, default=0) for name, q in groups.items()},
    )
    labels = {
        "outstanding": _("Outstanding now"),
        "overdue": _("Past expiry, not yet released"),
        "expired": _("Expired in the period"),
    }
    tables = [
        Table(
            slug="holds",
            title=_("Holds"),
            columns=[
                Column("holds", _("Holds")),
                Column("count", _("Count"), "int"),
                Column("amount", _("Credits"), "credits"),
            ],
            rows=[
                {
                    "holds": label,
                    "count": holds[f"{name}_count"],
                    "amount": holds[f"{name}_amount"],
                }
                for name, label in labels.items()
            ],
        )
    ]
    if reconcile:
        tables.extend(_reconciliation_tables(ledger_reconcile()))
    return tables


def _reconciliation_tables(reconciliation: Reconciliation) -> list[Table]:
    return [
        Table(
            slug="reconciliation",
            title=_("Reconciliation"),
            columns=[Column("figure", _("Figure")), Column("value", _("Value"))],
            rows=[
                {
                    "figure": _("Books balance"),
                    "value": _("yes") if reconciliation.clean else _("NO"),
                },
                {"figure": _("Wallets checked"), "value": str(reconciliation.wallets)},
                {
                    "figure": _("Sum of all accounts (must be 0.00)"),
                    "value": credits_text(reconciliation.total),
                },
                {"figure": _("Differences"), "value": str(len(reconciliation.differences))},
            ],
        ),
        Table(
            slug="differences",
            title=_("Reconciliation differences"),
            columns=[
                Column("account", _("Account")),
                Column("field", _("Field")),
                Column("cached", _("Cached"), "credits"),
                Column("computed", _("From transfers"), "credits"),
            ],
            rows=[difference.__dict__ for difference in reconciliation.differences],
        ),
    ]
