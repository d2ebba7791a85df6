"""One user's dashboard: their money, their predictions and batches."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, F, QuerySet, Sum, When
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from accounts.models import User
from analytics.periods import Period, per_day
from analytics.selectors.common import (
    SPENDING_KINDS,
    STATUSES,
    spending_amount,
    status_columns,
    status_counts,
    with_total,
)
from analytics.tables import Column, Table
from billing.models import TopUp, Transfer, TransferKind
from billing.selectors import WalletBalance, topups_of, wallet_balance, wallet_statement
from billing.system_accounts import REVENUE_PREFIX
from predictions.batch.selectors import batch_jobs_for_user
from predictions.ml.cases import in_catalogue_order
from predictions.models import BatchJob, Prediction
from predictions.serving.selectors import prediction_list


def user_spending_per_day(*, user: User, period: Period) -> Table:
    """Credits the user spent per day (charges and captures net of refunds)."""
    spent = (
        Transfer.objects.filter(wallet__user=user, kind__in=SPENDING_KINDS, **period.bounds())
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(spent=Sum(spending_amount()))
    )
    return Table(
        slug="spending",
        title=_("Credits spent per day"),
        columns=[Column("day", _("Day"), "date"), Column("spent", _("Spent"), "credits")],
        rows=[{"day": day, "spent": amount} for day, amount in per_day(period, spent, 0)],
        chart=("day", "spent"),
    )


def _spent_per_model(*, user: User, period: Period) -> dict[str, int]:
    """Credits the user spent per model: the same movements as `user_spending_per_day`
    (predictions and batch captures, net of refunds), told apart by the model's revenue
    account on their other side."""
    revenue_side = Case(
        When(kind=TransferKind.REFUND, then=F("debit__code")), default=F("credit__code")
    )
    spent = (
        Transfer.objects.filter(wallet__user=user, kind__in=SPENDING_KINDS, **period.bounds())
        .order_by()
        .annotate(revenue=revenue_side)
        .values_list("revenue")
        .annotate(spent=Sum(spending_amount()))
    )
    return {code.removeprefix(REVENUE_PREFIX): amount for code, amount in spent}


def _batch_rows_per_model(*, user: User, period: Period) -> dict[str, int]:
    """Rows the user's batch jobs were charged for, per model, by when the job ended (its
    charge is made then)."""
    charged = (
        BatchJob.objects.filter(user=user, charged__gt=0, **period.bounds("finished_at"))
        .order_by()
        .values_list("model__slug")
        .annotate(rows=Sum(F("rows_done") - F("rows_failed")))
    )
    return dict(charged)


def user_predictions_per_model(*, user: User, period: Period) -> Table:
    """The user's predictions per model and outcome with their rows, the rows charged in
    batch jobs, and the credits both cost: the credits add up to the period's spending."""
    predictions = {
        row.pop("model_version__model__slug"): row
        for row in Prediction.objects.filter(user=user, **period.bounds())
        .order_by()
        .values("model_version__model__slug")
        .annotate(**status_counts(), rows=Sum("rows"))
    }
    batch_rows = _batch_rows_per_model(user=user, period=period)
    spent = _spent_per_model(user=user, period=period)
    idle = dict.fromkeys(STATUSES, 0) | {"rows": 0}
    rows = [
        with_total(
            {
                "model": slug,
                **predictions.get(slug, idle),
                "batch_rows": batch_rows.get(slug, 0),
                "cost": spent.get(slug, 0),
            }
        )
        for slug in in_catalogue_order({*predictions, *batch_rows, *spent})
    ]
    return Table(
        slug="predictions",
        title=_("Predictions and batches per model"),
        columns=[
            Column("model", _("Model")),
            *status_columns(),
            Column("rows", _("Rows"), "int"),
            Column("batch_rows", _("Batch rows"), "int"),
            Column("cost", _("Credits"), "credits"),
        ],
        rows=rows,
        chart=("model", "total"),
    )


def status_totals(table: Table) -> dict[str, int]:
    """Succeeded / failed / refused summed over a per-model table."""
    return {status: sum(row[status] for row in table.rows) for status in STATUSES}


RECENT = 10


@dataclass(frozen=True)
class UserDashboard:
    wallet: WalletBalance
    spending: Table
    spent_total: int
    per_model: Table
    statuses: dict[str, int]
    recent_predictions: QuerySet[Prediction]
    recent_batches: QuerySet[BatchJob]
    recent_movements: QuerySet[Transfer]
    topups: QuerySet[TopUp]


def user_dashboard(*, user: User, period: Period) -> UserDashboard:
    """Everything the user's dashboard shows: a fixed handful of queries."""
    spending = user_spending_per_day(user=user, period=period)
    per_model = user_predictions_per_model(user=user, period=period)
    return UserDashboard(
        wallet=wallet_balance(user=user),
        spending=spending,
        spent_total=sum(row["spent"] for row in spending.rows),
        per_model=per_model,
        statuses=status_totals(per_model),
        recent_predictions=prediction_list(user=user)[:RECENT],
        recent_batches=batch_jobs_for_user(user=user)[:RECENT],
        recent_movements=wallet_statement(user=user)[:RECENT],
        topups=topups_of(user=user)[:RECENT],
    )


def user_predictions(*, user: User, period: Period) -> QuerySet[Prediction]:
    """The user's predictions in the period, oldest first (the CSV export)."""
    return (
        Prediction.objects.filter(user=user, **period.bounds())
        .select_related("model_version__model")
        .order_by("created_at", "pk")
    )
