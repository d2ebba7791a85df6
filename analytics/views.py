"""Pages: the user's dashboard and its CSV export; /metrics."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from analytics import selectors
from analytics.charts import bar_chart
from analytics.metrics import registries_for_scrape
from analytics.periods import Period, period_from_query
from analytics.scrape_access import scrape_allowed
from billing.money import format_credits
from mlbilling.csv_export import streaming_csv_response
from predictions.models import Prediction


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period = period_from_query(request.GET)
    data = selectors.user_dashboard(user=request.user, period=period)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "period": period,
            "data": data,
            "spending_chart": bar_chart(data.spending.chart_points(), title=data.spending.title),
            "per_model_chart": bar_chart(data.per_model.chart_points(), title=data.per_model.title),
        },
    )


def _prediction_lines(predictions: Iterator[Prediction]) -> Iterator[list[object]]:
    yield ["id", "created_at", "model", "version", "status", "rows", "cost", "latency_ms", "source"]
    for prediction in predictions:
        yield [
            prediction.pk,
            timezone.localtime(prediction.created_at).isoformat(),
            prediction.model_version.model.slug,
            prediction.model_version.version,
            prediction.status,
            prediction.rows,
            format_credits(prediction.cost),
            f"{prediction.latency_ms:.1f}",
            prediction.source,
        ]


@login_required
def dashboard_predictions_csv(request: HttpRequest) -> HttpResponse:
    _form, period = period_from_query(request.GET)
    predictions = selectors.user_predictions(user=request.user, period=period)
    return streaming_csv_response(
        _prediction_lines(predictions.iterator(chunk_size=1000)),
        filename=_filename("predictions", period),
    )


def _filename(name: str, period: Period) -> str:
    return f"{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"


# --- Prometheus ---------------------------------------------------------------------------


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for the bearer token (or an allowed address when an
    allow-list is configured) only; anyone else is refused."""
    if not scrape_allowed(request):
        return HttpResponseForbidden("Forbidden", content_type="text/plain")
    body = b"".join(generate_latest(registry) for registry in registries_for_scrape())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
