"""Usage reports: predictions, people and batches.

The rules every report follows are in `analytics/selectors/__init__.py`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
)
from django.utils.translation import gettext as _

from analytics.periods import Period, per_day
from analytics.selectors import daily
from analytics.selectors.common import (
    STATUSES,
    model_slugs,
    status_columns,
    with_total,
)
from analytics.tables import Column, Table
from predictions.models import BatchJob, ModelVersion

# --- Predictions ------------------------------------------------------------------------


def predictions_report(*, period: Period) -> list[Table]:
    """Predictions per day and per model, by outcome, from the daily roll-ups (and the raw
    rows of the days not folded yet): a few hundred groups, summed here both ways."""
    slug_of = dict(ModelVersion.objects.values_list("pk", "model__slug"))
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    by_model: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for day, version_id, status, count, _rows, _cost in daily.predictions(period):
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


# --- People -----------------------------------------------------------------------------


def users_report(*, period: Period) -> list[Table]:
    """Active users (who asked for at least one prediction) and sign-ups per day."""
    days = daily.activity(period)
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
                {"day": day, "active": active, "signups": signups}
                for day, (active, signups) in per_day(period, days.items(), (0, 0))
            ],
            chart=("day", "active"),
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
                Column("status", _("Status"), choices=dict(BatchJob.Status.choices)),
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
