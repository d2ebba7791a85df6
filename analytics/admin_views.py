"""Operator reports inside the Django admin (staff only: wrapped by `admin_view`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from analytics import selectors
from analytics.charts import bar_chart
from analytics.periods import Period, period_from_query
from analytics.tables import Table
from mlbilling.csv_export import streaming_csv_response


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    description: str
    build: Callable[..., list[Table]]
    # Query-string switches the report accepts, e.g. ?reconcile=1 (an expensive part run
    # only on request); each is passed to `build` as a bool.
    switches: tuple[str, ...] = ()


REPORTS = {
    report.slug: report
    for report in [
        Report(
            "predictions",
            _("Predictions"),
            _("Per day and per model: succeeded, failed, refused."),
            selectors.predictions_report,
        ),
        Report(
            "revenue",
            _("Revenue, top-ups and grants"),
            _("Credits charged per model, and money in per day."),
            selectors.revenue_report,
        ),
        Report(
            "users",
            _("Active users and sign-ups"),
            _("Users who predicted, and new accounts, per day."),
            selectors.users_report,
        ),
        Report(
            "latency",
            _("Errors and latency"),
            _("Error rate and latency p50 / p95 per model."),
            selectors.latency_report,
        ),
        Report(
            "batches",
            _("Batch jobs"),
            _("Jobs by status, rows and rows per second."),
            selectors.batches_report,
        ),
        Report(
            "top-users",
            _("Top users"),
            _("The users who spent the most credits."),
            selectors.top_users_report,
        ),
        Report(
            "ledger",
            _("Ledger health"),
            _("Reconciliation, holds outstanding and expired."),
            selectors.ledger_report,
            switches=("reconcile",),
        ),
    ]
}


def report_index(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request,
        "analytics/admin/report_index.html",
        {**admin.site.each_context(request), "title": _("Reports"), "reports": REPORTS.values()},
    )


def report(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in REPORTS:
        raise Http404
    chosen = REPORTS[slug]
    form, period = period_from_query(request.GET)
    switches = {name: request.GET.get(name) == "1" for name in chosen.switches}
    tables = chosen.build(period=period, **switches)
    export = request.GET.get("csv")
    if export:
        table = next((table for table in tables if table.slug == export), None)
        if table is None:
            raise Http404
        return streaming_csv_response(
            table.csv_lines(), filename=_filename(chosen.slug, table, period)
        )
    return TemplateResponse(
        request,
        "analytics/admin/report.html",
        {
            **admin.site.each_context(request),
            "title": chosen.title,
            "report": chosen,
            "reports": REPORTS.values(),
            "form": form,
            "period": period,
            "query": period.querystring()
            + "".join(f"&{name}=1" for name, on in switches.items() if on),
            "switches": [name for name, on in switches.items() if not on],
            "tables": [
                (table, bar_chart(table.chart_points(), title=table.chart_title))
                for table in tables
            ],
        },
    )


def _filename(report_slug: str, table: Table, period: Period) -> str:
    return f"{report_slug}-{table.slug}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
