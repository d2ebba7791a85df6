from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from analytics import health
from analytics.request_id import JsonFormatter, RequestIdFilter
from predictions.registry.artifacts import load_model_cache_clear
from predictions.tests.factories import MLModelFactory, PredictionFactory

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token"


@pytest.fixture
def scraper(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("analytics:healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_the_database_and_every_production_model_load(client, served):
    response = client.get(reverse("analytics:readyz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["model:tiny"] == {"ok": True, "detail": f"v{served.version}"}
    assert body["checks"]["database"]["ok"] is True


def test_readyz_is_503_when_an_active_model_has_no_production_version(client, served):
    MLModelFactory(slug="orphan")

    response = client.get(reverse("analytics:readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["model:orphan"]["ok"] is False
    assert "NoProductionVersion" in response.json()["checks"]["model:orphan"]["detail"]


def test_an_inactive_model_without_production_version_does_not_matter(client):
    MLModelFactory(slug="retired", is_active=False)

    assert client.get(reverse("analytics:readyz")).status_code == 200


def test_readyz_is_503_when_the_production_artifact_is_gone(client, served):
    load_model_cache_clear()
    served.artifact.storage.delete(served.artifact.name)

    response = client.get(reverse("analytics:readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["model:tiny"]["ok"] is False


def test_readyz_is_503_when_the_database_fails(client, monkeypatch):
    class BrokenConnection:
        vendor = "postgresql"

        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = client.get(reverse("analytics:readyz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": {"ok": False, "detail": "DatabaseError: connection refused"}},
    }


def test_readyz_is_503_when_tasks_wait_with_no_worker_taking_them(client, settings):
    settings.READYZ_WORKER_STALE_SECONDS = 60
    OrmQ.objects.create(key="mlbilling", payload="x", lock=timezone.now() - timedelta(minutes=5))

    response = client.get(reverse("analytics:readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_a_cluster_reporting_its_status_is_a_live_worker(client, settings, monkeypatch):
    settings.READYZ_WORKER_STALE_SECONDS = 60
    OrmQ.objects.create(key="mlbilling", payload="x", lock=timezone.now() - timedelta(minutes=5))
    monkeypatch.setattr(health.Stat, "get_all", staticmethod(lambda: ["cluster"]))

    response = client.get(reverse("analytics:readyz"))

    assert response.json()["checks"]["worker"] == {"ok": True, "detail": "1 cluster(s) reporting"}


def test_a_fresh_task_in_the_queue_is_not_a_dead_worker(client, settings):
    settings.READYZ_WORKER_STALE_SECONDS = 60
    OrmQ.objects.create(key="mlbilling", payload="x", lock=timezone.now())

    assert client.get(reverse("analytics:readyz")).status_code == 200


# --- /metrics ---------------------------------------------------------------------------


def test_metrics_are_hidden_from_anyone_without_the_token(client, scraper, admin_client):
    assert client.get(reverse("analytics:metrics")).status_code == 404
    wrong = client.get(reverse("analytics:metrics"), HTTP_AUTHORIZATION="Bearer wrong")
    assert wrong.status_code == 404
    # Being staff is not enough: Prometheus authenticates with the token.
    assert admin_client.get(reverse("analytics:metrics")).status_code == 404


def test_metrics_without_a_configured_token_refuse_an_empty_bearer(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []

    response = client.get(reverse("analytics:metrics"), HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 404


def test_an_allowed_network_may_scrape_without_a_token(client, settings):
    import ipaddress

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]

    assert client.get(reverse("analytics:metrics"), REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(reverse("analytics:metrics"), REMOTE_ADDR="192.0.2.1").status_code == 404


def _scrape(client) -> str:
    response = client.get(reverse("analytics:metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return response.content.decode()


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_committed_prediction_is_counted_by_model_status_cost_and_latency(
    client, scraper, alpha, django_capture_on_commit_callbacks
):
    labels = '{model="alpha",status="succeeded"}'
    before = _scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        PredictionFactory(model_version=alpha, cost=30, rows=3, latency_ms=12.0)

    after = _scrape(client)

    assert _sample(after, f"mlbilling_predictions_total{labels}") == (
        _sample(before, f"mlbilling_predictions_total{labels}") + 1
    )
    assert _sample(after, f"mlbilling_prediction_rows_total{labels}") == (
        _sample(before, f"mlbilling_prediction_rows_total{labels}") + 3
    )
    charged = 'mlbilling_credits_charged_hundredths_total{model="alpha"}'
    assert _sample(after, charged) == _sample(before, charged) + 30
    bucket = 'mlbilling_prediction_latency_seconds_bucket{le="0.025",model="alpha"}'
    assert _sample(after, bucket) == _sample(before, bucket) + 1


def test_a_prediction_rolled_back_is_not_counted(
    client, scraper, alpha, django_capture_on_commit_callbacks
):
    labels = 'mlbilling_predictions_total{model="alpha",status="failed"}'
    before = _sample(_scrape(client), labels)
    with django_capture_on_commit_callbacks(execute=False):
        PredictionFactory(model_version=alpha, status="failed")

    assert _sample(_scrape(client), labels) == before


def test_metrics_include_request_and_database_state_metrics(client, scraper):
    OrmQ.objects.create(key="mlbilling", payload="x", lock=timezone.now())

    text = _scrape(client)

    assert "django_http_requests_total_by_method_total" in text
    assert _sample(text, "mlbilling_task_queue_length") == 1.0
    assert _sample(text, 'mlbilling_batch_jobs{status="queued"}') == 0.0


# --- Request ids ------------------------------------------------------------------------


def test_a_request_id_is_generated_and_echoed(client):
    response = client.get(reverse("analytics:healthz"))

    assert len(response["X-Request-ID"]) == 32


def test_a_supplied_request_id_is_kept_and_a_dangerous_one_replaced(client):
    kept = client.get(reverse("analytics:healthz"), HTTP_X_REQUEST_ID="lb-1234.abc")
    replaced = client.get(reverse("analytics:healthz"), HTTP_X_REQUEST_ID="evil\nline")

    assert kept["X-Request-ID"] == "lb-1234.abc"
    assert replaced["X-Request-ID"] != "evil\nline"
    assert len(replaced["X-Request-ID"]) == 32


def test_log_lines_of_a_request_carry_its_id_even_djangos_own_404_warning(client):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = records.append
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-42")
    finally:
        logger.removeHandler(handler)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "after", None, None)
    RequestIdFilter().filter(outside)

    assert [record.request_id for record in records] == ["trace-42"]
    assert outside.request_id == "-"


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("billing", logging.INFO, __file__, 1, "charged %s", ("p1",), None)
    record.request_id = "trace-7"

    line = json.loads(JsonFormatter().format(record))

    assert (line["request_id"], line["logger"], line["message"]) == (
        "trace-7",
        "billing",
        "charged p1",
    )
