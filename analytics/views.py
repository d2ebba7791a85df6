"""Pages: the user's dashboard and its CSV export; /healthz, /readyz and /metrics."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from analytics import selectors
from analytics.charts import bar_chart
from analytics.health import readiness
from analytics.metrics import registries_for_scrape
from analytics.periods import Period, period_from_query
from analytics.tables import csv_response
from billing.money import format_credits
from billing.selectors import topups_of, wallet_balance
from predictions.batch.selectors import batch_jobs_for_user
from predictions.models import Prediction
from predictions.prediction_selectors import prediction_list

RECENT = 10


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period = period_from_query(request.GET)
    spending = selectors.user_spending_per_day(user=request.user, period=period)
    per_model = selectors.user_predictions_per_model(user=request.user, period=period)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "period": period,
            "wallet": wallet_balance(user=request.user),
            "spending": spending,
            "spending_chart": bar_chart(spending.chart_points(), title=spending.title),
            "spent_total": sum(row["spent"] for row in spending.rows),
            "per_model": per_model,
            "per_model_chart": bar_chart(per_model.chart_points(), title=per_model.title),
            "statuses": selectors.status_totals(per_model),
            "recent_predictions": prediction_list(user=request.user)[:RECENT],
            "recent_batches": batch_jobs_for_user(user=request.user)[:RECENT],
            "topups": topups_of(user=request.user)[:RECENT],
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
    return csv_response(
        _prediction_lines(predictions.iterator(chunk_size=1000)),
        filename=_filename("predictions", period),
    )


def _filename(name: str, period: Period) -> str:
    return f"{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"


# --- Probes -----------------------------------------------------------------------------


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No database, so a database outage does not get
    every web process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, worker heartbeat, every active model loadable; 503 if not."""
    checks = readiness()
    ready = all(check.ok for check in checks)
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
        },
        status=200 if ready else 503,
    )


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _space, supplied = request.headers.get("Authorization", "").partition(" ")
    if (
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(supplied.encode(), token.encode())
    ):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for a bearer token or an allowed address only; anyone else
    gets the same 404 as for a page that does not exist."""
    if not _metrics_allowed(request):
        return HttpResponseNotFound("Not found", content_type="text/plain")
    body = b"".join(generate_latest(registry) for registry in registries_for_scrape())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
