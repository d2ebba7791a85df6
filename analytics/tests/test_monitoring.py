from __future__ import annotations

import ipaddress

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token"


@pytest.fixture
def scraper(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


# --- /metrics: who may scrape -----------------------------------------------------------


def test_metrics_are_refused_to_anyone_without_the_token(client, scraper, admin_client):
    assert client.get(reverse("analytics:metrics")).status_code == 403
    wrong = client.get(reverse("analytics:metrics"), HTTP_AUTHORIZATION="Bearer wrong")
    assert wrong.status_code == 403
    # Being staff is not enough: Prometheus authenticates with the token.
    assert admin_client.get(reverse("analytics:metrics")).status_code == 403


def test_metrics_without_a_configured_token_refuse_an_empty_bearer(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []

    response = client.get(reverse("analytics:metrics"), HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 403


def test_by_default_localhost_behind_a_proxy_is_refused(client):
    """The default settings: a reverse proxy on the same host forwards a public client."""
    assert settings.METRICS_ALLOWED_NETWORKS == []
    assert settings.METRICS_TRUSTED_PROXIES == []

    forwarded = client.get(
        reverse("analytics:metrics"), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    direct = client.get(reverse("analytics:metrics"), REMOTE_ADDR="127.0.0.1")

    assert forwarded.status_code == 403
    assert direct.status_code == 403


def test_an_allowed_network_may_scrape_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]

    assert client.get(reverse("analytics:metrics"), REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(reverse("analytics:metrics"), REMOTE_ADDR="192.0.2.1").status_code == 403


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1")]
    url = reverse("analytics:metrics")

    # No trusted proxy: a forwarded request from 127.0.0.1 has no known address.
    assert (
        client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code
        == 403
    )
    settings.METRICS_TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1")]
    public = client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9")
    local = client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    spoofed = client.get(url, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert public.status_code == 403
    assert local.status_code == 403  # every hop is the proxy itself: no client address
    assert spoofed.status_code == 403


def _scrape(client) -> str:
    response = client.get(reverse("analytics:metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return response.content.decode()


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _grew(before: str, after: str, name: str) -> float:
    return _sample(after, name) - _sample(before, name)


def _predict(token_client, rows: int):
    return token_client.post(
        reverse("api_predict", args=["tiny"]),
        {"inputs": [{"x1": 7.5, "x2": 6.0}] * rows},
        format="json",
    )


def test_a_paid_prediction_over_the_api_is_counted_by_model_status_cost_and_latency(
    client, scraper, served, token_client, django_capture_on_commit_callbacks
):
    labels = '{model="tiny",status="succeeded"}'
    before = _scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert _predict(token_client, rows=3).status_code == 200

    after = _scrape(client)

    assert _grew(before, after, f"mlbilling_predictions_total{labels}") == 1
    assert _grew(before, after, f"mlbilling_prediction_rows_total{labels}") == 3
    assert _grew(before, after, 'mlbilling_credits_charged_hundredths_total{model="tiny"}') == 21
    assert _grew(before, after, 'mlbilling_prediction_latency_seconds_count{model="tiny"}') == 1


def test_a_refused_prediction_is_counted_and_charges_nothing(
    client, scraper, served, token_client, django_capture_on_commit_callbacks
):
    refused = 'mlbilling_predictions_total{model="tiny",status="refused"}'
    charged = 'mlbilling_credits_charged_hundredths_total{model="tiny"}'
    before = _scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        # 15 rows at 0.07 is 1.05: more than the customer's 1.00.
        assert _predict(token_client, rows=15).status_code == 402

    after = _scrape(client)

    assert _sample(after, refused) == _sample(before, refused) + 1
    assert _sample(after, charged) == _sample(before, charged)


def test_a_prediction_rolled_back_is_not_counted(client, scraper, served, customer):
    from predictions.serving.services import prediction_run

    counted = 'mlbilling_predictions_total{model="tiny",status="succeeded"}'
    before = _sample(_scrape(client), counted)

    def predict_then_roll_back() -> None:
        with transaction.atomic():
            prediction_run(user=customer, slug="tiny", rows=[{"x1": 1.0, "x2": 2.0}])
            raise RuntimeError("the caller's transaction rolls back")

    with pytest.raises(RuntimeError):
        predict_then_roll_back()

    assert _sample(_scrape(client), counted) == before


def _pay_through_the_sandbox(client, topup_id: int, *, paid: bool) -> None:
    """What the provider does: a signed callback to the site's callback URL."""
    from billing.models import TopUp
    from billing.providers.sandbox import SIGNATURE_HEADER, SandboxProvider

    body, headers = SandboxProvider().signed_callback(TopUp.objects.get(pk=topup_id), paid=paid)
    header = f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}"
    response = client.post(
        "/billing/callback/sandbox/",
        body,
        content_type="application/json",
        **{header: headers[SIGNATURE_HEADER]},
    )
    assert response.status_code == 200


def test_top_ups_settled_by_the_providers_callback_are_counted(
    client, scraper, token_client, django_capture_on_commit_callbacks
):
    before = _scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        for amount, paid in (("25.00", True), ("10.00", False)):
            created = token_client.post("/api/v1/topups", {"amount": amount}, format="json")
            assert created.status_code == 201, created.content
            _pay_through_the_sandbox(client, created.json()["id"], paid=paid)
    after = _scrape(client)

    assert _grew(before, after, 'mlbilling_topups_total{provider="sandbox",state="succeeded"}') == 1
    assert _grew(before, after, 'mlbilling_topups_total{provider="sandbox",state="failed"}') == 1
    assert (
        _grew(before, after, 'mlbilling_topup_credits_hundredths_total{provider="sandbox"}') == 2500
    )


def test_metrics_include_request_and_database_state_metrics(client, scraper):
    OrmQ.objects.create(key="mlbilling", payload="x", lock=timezone.now())

    text = _scrape(client)

    assert "django_http_requests_total_by_method_total" in text
    assert _sample(text, "mlbilling_task_queue_length") == 1.0
    assert _sample(text, 'mlbilling_batch_jobs{status="queued"}') == 0.0


def test_a_batch_job_run_by_the_worker_is_counted_when_it_finishes(
    client, scraper, served, token_client, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_q.conf import Conf

    # django-q2's sync mode runs the enqueued worker task in this process.
    monkeypatch.setattr(Conf, "SYNC", True)
    finished = 'mlbilling_batch_jobs_finished_total{model="tiny",status="done"}'
    before = _sample(_scrape(client), finished)
    upload = SimpleUploadedFile("rows.csv", b"x1,x2\n1,2\n3,4\n5,6\n", content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client.post(
            "/api/v1/batches", {"model": "tiny", "file": upload}, format="multipart"
        )

    assert response.status_code == 201, response.content
    assert _sample(_scrape(client), finished) == before + 1
