from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from predictions.tests.factories import PredictionFactory

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token"


@pytest.fixture
def scraper(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


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
