"""The operator report pages: staff only, CSV equal to the page, a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory
from analytics.admin_views import REPORTS
from analytics.tests.fixtures import utc
from billing.services.wallets import wallet_charge, wallet_grant
from predictions.models import Prediction
from predictions.tests.factories import PredictionFactory

pytestmark = pytest.mark.django_db

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-04"}
REPORT_URLS = [reverse("analytics:reports")] + [
    reverse("analytics:report", args=[slug]) for slug in REPORTS
]


def _cells(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'id="table-{table}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("url", REPORT_URLS)
def test_anonymous_visitors_are_sent_to_the_admin_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", REPORT_URLS)
def test_a_signed_in_customer_cannot_see_any_report_or_its_csv(client, url):
    client.force_login(UserFactory())

    page = client.get(url)
    export = client.get(url, {**MARCH, "csv": "per-day"})

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("admin:login"))
    assert export.status_code == 302


def test_the_admin_index_links_every_report(staff_client):
    response = staff_client.get(reverse("admin:index"))

    for slug in REPORTS:
        assert reverse("analytics:report", args=[slug]) in response.content.decode()


def test_the_csv_export_holds_the_cells_of_the_page(staff_client, tokyo, alpha, beta):
    PredictionFactory(model_version=alpha, created_at=utc("2026-02-28 15:00"))
    PredictionFactory(model_version=beta, status="failed", created_at=utc("2026-03-02 03:00"))
    url = reverse("analytics:report", args=["predictions"])

    page = staff_client.get(url, MARCH).content.decode()
    for table in ("per-day", "per-model"):
        exported = _csv(staff_client.get(url, {**MARCH, "csv": table}))

        assert exported[1:] == _cells(page, table)
    assert _cells(page, "per-day")[0] == ["03/01/2026", "1", "0", "0", "1"]
    assert _cells(page, "per-day")[2] == ["03/03/2026", "0", "0", "0", "0"]


def test_a_russian_report_shows_russian_dates_and_decimals(staff_client, alpha):
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")
    wallet_charge(user=user, amount=250, reference="x", revenue_account="revenue:alpha")
    url = reverse("analytics:report", args=["revenue"])

    with translation.override("en"):  # the request's language must not outlive the test
        page = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert ["alpha", "2,50", "0,00", "2,50"] in _cells(page, "per-model")
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d{4}", row[0]) for row in _cells(page, "per-day"))


def test_revenue_csv_matches_its_page_in_credits(staff_client, alpha):
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")
    wallet_charge(user=user, amount=250, reference="x", revenue_account="revenue:alpha")
    url = reverse("analytics:report", args=["revenue"])

    page = staff_client.get(url).content.decode()
    exported = _csv(staff_client.get(url, {"csv": "per-model"}))

    assert exported[1:] == _cells(page, "per-model")
    assert ["alpha", "2.50", "0.00", "2.50"] in exported


def test_an_unknown_table_or_report_is_a_404(staff_client):
    assert staff_client.get(reverse("analytics:report", args=["nope"])).status_code == 404
    url = reverse("analytics:report", args=["users"])
    assert staff_client.get(url, {"csv": "nope"}).status_code == 404


def test_a_reversed_period_is_refused_and_the_last_30_days_are_shown(staff_client):
    url = reverse("analytics:report", args=["users"])

    response = staff_client.get(url, {"date_from": "2026-03-04", "date_to": "2026-03-01"})

    assert response.status_code == 200
    assert "The start date is after the end date." in response.content.decode()
    assert len(response.context["tables"][0][0].rows) == 30


# Per page: session + user of the admin check, then the report's own queries, each a
# single aggregate whatever the number of rows, users or models (the first reads the
# roll-ups' watermark; with nothing folded yet, every day is read raw).
QUERIES = {
    "predictions": 2 + 4,
    "revenue": 2 + 4,
    "users": 2 + 3,
    "latency": 2 + 5,
    "batches": 2 + 1,
    # On PostgreSQL, also the transaction that sets its plan's memory (a savepoint here).
    "top-users": 2 + 4 + (4 if connection.vendor == "postgresql" else 0),
    "ledger": 2 + 1,
}


def _activity(users: int, versions) -> None:
    for n in range(users):
        user = UserFactory()
        wallet_grant(user=user, amount=1_000, reason="funds")
        for version in versions:
            prediction = PredictionFactory(user=user, model_version=version)
            wallet_charge(
                user=user,
                amount=prediction.cost,
                reference=str(prediction.pk),
                revenue_account=f"revenue:{version.model.slug}",
            )
        PredictionFactory(user=user, model_version=versions[n % 2], status="refused")


@pytest.mark.parametrize("slug", list(QUERIES))
def test_each_report_takes_the_same_few_queries_however_much_data(
    staff_client, django_assert_num_queries, slug, alpha, beta
):
    _activity(4, [alpha, beta])
    url = reverse("analytics:report", args=[slug])

    with django_assert_num_queries(QUERIES[slug]):
        staff_client.get(url)
    _activity(6, [alpha, beta])
    with django_assert_num_queries(QUERIES[slug]):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert Prediction.objects.count() == 30


def test_the_ledger_page_runs_the_reconciliation_on_request_and_exports_it(staff_client):
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")
    url = reverse("analytics:report", args=["ledger"])

    plain = staff_client.get(url).content.decode()
    page = staff_client.get(url, {"reconcile": "1"}).content.decode()
    exported = _csv(staff_client.get(url, {"reconcile": "1", "csv": "reconciliation"}))

    assert "table-reconciliation" not in plain
    assert "reconcile=1" in plain
    assert exported[1:] == _cells(page, "reconciliation")
    assert exported[1] == ["Books balance", "yes"]


def test_text_that_a_spreadsheet_would_run_is_exported_inert(staff_client, alpha):
    user = UserFactory(email="=cmd@example.com")
    wallet_grant(user=user, amount=1_000, reason="funds")
    wallet_charge(user=user, amount=250, reference="x", revenue_account="revenue:alpha")
    url = reverse("analytics:report", args=["top-users"])

    exported = _csv(staff_client.get(url, {"csv": "top-users"}))

    assert exported[1] == ["1", "'=cmd@example.com", "2.50", "0"]
