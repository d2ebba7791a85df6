"""Report queries. Every figure is aggregated in the database over an indexable
`created_at` range (see `Period.bounds`); days are days of the site's time zone, and days
without data are filled in here rather than left out.

Each report returns `Table`s, the one object its page and its CSV export are drawn from.
Analytics only reads: through the other apps' selectors where they offer the read, from
their models otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    Sum,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from analytics.periods import Period, per_day
from analytics.selectors.common import (
    SPENDING_KINDS,
    STATUSES,
    model_slugs,
    signed_to_wallet,
    spending_amount,
    status_columns,
    with_total,
)
from analytics.tables import Column, Table
from billing.models import Account, Hold, HoldStatus, Transfer, TransferKind
from billing.money import format_credits
from billing.selectors import Reconciliation, ledger_reconcile
from billing.system_accounts import REVENUE_PREFIX
from predictions.models import BatchJob, MLModel, ModelVersion, Prediction

TOP_USERS = 20
# SQLite has no percentile aggregate: latency percentiles there are computed in Python
# from at most this many of the newest rows (SQLite is for development, not for volume).
LATENCY_SAMPLE_LIMIT = 50_000


# --- Predictions ------------------------------------------------------------------------


def predictions_report(*, period: Period) -> list[Table]:
    """Predictions per day and per model, by outcome.

    One pass over the period's rows, grouped by (day, version, status): a few hundred
    groups, from which both tables are summed here; grouping by version id rather than
    by the model's slug spares joining every row.
    """
    counts = (
        Prediction.objects.filter(**period.bounds())
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "model_version_id", "status")
        .annotate(Count("pk"))
    )
    slug_of = dict(ModelVersion.objects.values_list("pk", "model__slug"))
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for day, version_id, status, count in counts:
        by_day[day][status] += count
        by_model[slug_of[version_id]][status] += count
    empty = dict.fromkeys(STATUSES, 0)
    return [
        Table(
            slug="per-day",
            title=_("Predictions per day"),
            columns=[Column("day", _("Day"), "date"), *status_columns()],
            rows=[
                with_total({"day": day, **counts})
                for day, counts in per_day(period, by_day.items(), empty)
            ],
            chart=("day", "total"),
        ),
        Table(
            slug="per-model",
            title=_("Predictions per model"),
            columns=[Column("model", _("Model")), *status_columns()],
            rows=[
                with_total({"model": slug, **by_model.get(slug, empty)})
                for slug in model_slugs(also=by_model)
            ],
            chart=("model", "total"),
        ),
    ]


# --- Money ------------------------------------------------------------------------------


def revenue_report(*, period: Period) -> list[Table]:
    """Credits charged per model (revenue net of refunds), and per day with top-ups,
    grants and adjustments (credits an operator took back count negative).

    One pass over the period's transfers grouped by (day, kind, system account): every
    transfer has a wallet on one side and a system account on the other, and the system
    account says which model earned a charge or gave a refund.
    """
    system_account = Case(
        When(credit_id=F("wallet_id"), then=F("debit_id")), default=F("credit_id")
    )
    groups = (
        # No filter on kind: these are all the kinds there are, and a filter would cost a
        # comparison per row; a kind added later is left out below.
        Transfer.objects.filter(**period.bounds())
        .order_by()
        .annotate(day=TruncDate("created_at"), account=system_account)
        .values_list("day", "kind", "account")
        .annotate(total=Sum("amount"), signed=Sum(signed_to_wallet()))
    )
    codes = dict(Account.objects.filter(code__isnull=False).values_list("pk", "code"))
    empty = {"revenue": 0, "topups": 0, "grants": 0, "adjustments": 0}
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: dict(empty))
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: {"charged": 0, "refunded": 0})
    for day, kind, account, amount, signed in groups:
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
            rows=[{"day": day, **values} for day, values in per_day(period, by_day.items(), empty)],
            chart=("day", "revenue"),
        ),
    ]


def top_users_report(*, period: Period, limit: int = TOP_USERS) -> list[Table]:
    """The users who spent the most in the period (charges and captures net of refunds)."""
    top = list(
        Transfer.objects.filter(**period.bounds(), kind__in=SPENDING_KINDS)
        .order_by()
        .values_list("wallet_id")
        .annotate(spent=Sum(spending_amount()))
        .order_by("-spent", "wallet_id")[:limit]
    )
    users = dict(
        User.objects.filter(wallet__id__in=[wallet for wallet, _spent in top]).values_list(
            "wallet__id", "pk"
        )
    )
    emails = dict(User.objects.filter(pk__in=users.values()).values_list("pk", "email"))
    predictions = dict(
        Prediction.objects.filter(**period.bounds(), user_id__in=users.values())
        .order_by()
        .values_list("user_id")
        .annotate(Count("pk"))
    )
    rows = [
        {
            "rank": rank,
            "email": emails[users[wallet]],
            "spent": spent,
            "predictions": predictions.get(users[wallet], 0),
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


# --- People -----------------------------------------------------------------------------


def users_report(*, period: Period) -> list[Table]:
    """Active users (who asked for at least one prediction) and sign-ups per day."""
    active = (
        Prediction.objects.filter(**period.bounds())
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(Count("user_id", distinct=True))
    )
    signups = dict(
        User.objects.filter(**period.bounds("date_joined"))
        .order_by()
        .annotate(day=TruncDate("date_joined"))
        .values_list("day")
        .annotate(Count("pk"))
    )
    return [
        Table(
            slug="per-day",
            title=_("Active users and sign-ups per day"),
            columns=[
                Column("day", _("Day"), "date"),
                Column("active", _("Active users"), "int"),
                Column("signups", _("Sign-ups"), "int"),
            ],
            rows=[
                {"day": day, "active": count, "signups": signups.get(day, 0)}
                for day, count in per_day(period, active, 0)
            ],
            chart=("day", "active"),
        )
    ]


# --- Service quality --------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY expression)`: several
    percentiles from one sort of the group."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())

    def __init__(self, expression: Any, *, fractions: Sequence[float], **extra: Any) -> None:
        listed = ", ".join(f"{float(fraction)!r}::float8" for fraction in fractions)
        super().__init__(expression, fractions=listed, **extra)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: what `percentile_cont` computes."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


@dataclass(frozen=True)
class ModelLatency:
    requests: int
    failed: int
    p50: float | None
    p95: float | None

    @property
    def error_rate(self) -> float | None:
        return 100.0 * self.failed / self.requests if self.requests else None


def latency_by_model(*, period: Period) -> dict[int, ModelLatency]:
    """Per model id: predictions that ran the model (succeeded or failed; a refusal for
    credits says nothing of the model), how many failed, latency p50 and p95 in ms."""
    ran = Prediction.objects.filter(
        **period.bounds(), status__in=[Prediction.Status.SUCCEEDED, Prediction.Status.FAILED]
    ).order_by()
    model = "model_version__model_id"
    counts = ran.values(model).annotate(
        requests=Count("pk"), failed=Count("pk", filter=Q(status=Prediction.Status.FAILED))
    )
    if connection.vendor == "postgresql":
        rows = counts.annotate(latency=PercentileCont("latency_ms", fractions=(0.5, 0.95)))
        return {
            row[model]: ModelLatency(
                requests=row["requests"],
                failed=row["failed"],
                p50=row["latency"][0],
                p95=row["latency"][1],
            )
            for row in rows
        }
    samples: dict[int, list[float]] = defaultdict(list)
    for model_id, latency in ran.order_by("-created_at").values_list(model, "latency_ms")[
        :LATENCY_SAMPLE_LIMIT
    ]:
        samples[model_id].append(latency)
    result = {}
    for row in counts:
        values = sorted(samples[row[model]])
        result[row[model]] = ModelLatency(
            requests=row["requests"],
            failed=row["failed"],
            p50=percentile(values, 0.5),
            p95=percentile(values, 0.95),
        )
    return result


def latency_report(*, period: Period) -> list[Table]:
    latencies = latency_by_model(period=period)
    idle = ModelLatency(requests=0, failed=0, p50=None, p95=None)
    rows = []
    for model_id, slug in MLModel.objects.order_by("slug").values_list("pk", "slug"):
        figures = latencies.get(model_id, idle)
        rows.append(
            {
                "model": slug,
                "requests": figures.requests,
                "failed": figures.failed,
                "error_rate": figures.error_rate,
                "p50": figures.p50,
                "p95": figures.p95,
            }
        )
    return [
        Table(
            slug="per-model",
            title=_("Error rate and latency per model"),
            columns=[
                Column("model", _("Model")),
                Column("requests", _("Model runs"), "int"),
                Column("failed", _("Failed"), "int"),
                Column("error_rate", _("Error rate, %"), "percent"),
                Column("p50", _("Latency p50, ms"), "ms"),
                Column("p95", _("Latency p95, ms"), "ms"),
            ],
            rows=rows,
            chart=("model", "p95"),
            note=_("Refusals for credits are left out: the model did not run."),
        )
    ]


def batches_report(*, period: Period) -> list[Table]:
    """Batch jobs created in the period by status, with their throughput: rows done per
    second of running time, over the jobs that both started and finished."""
    timed = Q(started_at__isnull=False, finished_at__isnull=False)
    running_time = ExpressionWrapper(F("finished_at") - F("started_at"), DurationField())
    by_status = {
        row.pop("status"): row
        for row in BatchJob.objects.filter(**period.bounds())
        .order_by()
        .values("status")
        .annotate(
            jobs=Count("pk"),
            # Named apart from the columns: an annotation would shadow its column below.
            total=Sum("rows_total"),
            done=Sum("rows_done"),
            failed=Sum("rows_failed"),
            credits=Sum("charged"),
            done_timed=Sum("rows_done", filter=timed),
            seconds=Sum(running_time, filter=timed),
        )
    }
    rows = []
    for status in BatchJob.Status:
        figures = by_status.get(status.value, {})
        seconds = figures.get("seconds") or timedelta(0)
        rows.append(
            {
                "status": status.value,
                "jobs": figures.get("jobs", 0),
                "rows_total": figures.get("total") or 0,
                "rows_done": figures.get("done") or 0,
                "rows_failed": figures.get("failed") or 0,
                "charged": figures.get("credits") or 0,
                "rows_per_second": (figures["done_timed"] or 0) / seconds.total_seconds()
                if seconds.total_seconds() > 0
                else None,
            }
        )
    return [
        Table(
            slug="per-status",
            title=_("Batch jobs by status"),
            columns=[
                Column("status", _("Status")),
                Column("jobs", _("Jobs"), "int"),
                Column("rows_total", _("Rows"), "int"),
                Column("rows_done", _("Rows done"), "int"),
                Column("rows_failed", _("Rows failed"), "int"),
                Column("charged", _("Charged"), "credits"),
                Column("rows_per_second", _("Rows per second"), "rate"),
            ],
            rows=rows,
            chart=("status", "jobs"),
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
                    "value": format_credits(reconciliation.total),
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
