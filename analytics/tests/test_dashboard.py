from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from analytics import selectors
from analytics.periods import Period, default_period
from analytics.tests.fixtures import utc
from billing.models import Transfer
from billing.services.topups import topup_create
from billing.services.wallets import wallet_charge, wallet_grant
from predictions.batch.tasks import batch_job_run_task
from predictions.ml.cases import CASES
from predictions.tests.api.batch_uploads import PRICE, upload
from predictions.tests.factories import BatchJobFactory, MLModelFactory, PredictionFactory

pytestmark = pytest.mark.django_db

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-03"}


@pytest.fixture
def customer(client):
    user = UserFactory()
    wallet_grant(user=user, amount=5_000, reason="welcome")
    client.force_login(user)
    return user


def _charge(user, amount: int, reference: str, when: str) -> None:
    transfer = wallet_charge(
        user=user, amount=amount, reference=reference, revenue_account="revenue:alpha"
    )
    Transfer.objects.filter(pk=transfer.pk).update(created_at=utc(when))


def test_the_dashboard_needs_a_login(client):
    response = client.get(reverse("analytics:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_navigation_offers_the_dashboard_to_signed_in_users_only(client, customer):
    signed_in = client.get(reverse("home")).content.decode()
    client.logout()
    anonymous = client.get(reverse("home")).content.decode()

    assert reverse("analytics:dashboard") in signed_in
    assert reverse("analytics:dashboard") not in anonymous


def test_spending_per_day_counts_only_the_users_charges_on_local_days(tokyo, customer, alpha):
    _charge(customer, 300, "a", "2026-02-28 15:30")  # Mar 1 in Tokyo
    _charge(customer, 200, "b", "2026-03-02 14:00")  # Mar 2 23:00 in Tokyo
    _charge(customer, 700, "c", "2026-03-03 15:00")  # Mar 4: outside
    other = UserFactory()
    wallet_grant(user=other, amount=1_000, reason="x")
    _charge(other, 999, "d", "2026-03-01 01:00")

    table = selectors.user_spending_per_day(
        user=customer, period=Period(date(2026, 3, 1), date(2026, 3, 3))
    )

    assert [row["spent"] for row in table.rows] == [300, 200, 0]


def test_the_dashboard_shows_balance_predictions_per_model_and_outcomes(
    client, customer, alpha, beta
):
    wallet_charge(user=customer, amount=1_000, reference="x", revenue_account="revenue:alpha")
    when = timezone.now()
    PredictionFactory.create_batch(2, user=customer, model_version=alpha, created_at=when)
    PredictionFactory(user=customer, model_version=beta, status="failed", created_at=when)
    PredictionFactory(user=customer, model_version=beta, status="refused", created_at=when)
    PredictionFactory(model_version=alpha, created_at=when)  # someone else's

    response = client.get(reverse("analytics:dashboard"))

    data = response.context["data"]
    assert (data.wallet.balance, data.wallet.available) == (4_000, 4_000)
    assert data.statuses == {"succeeded": 2, "failed": 1, "refused": 1}
    per_model = {row["model"]: row for row in data.per_model.rows}
    # Credits come from the ledger (the one charge), not from the factories' records.
    assert (per_model["alpha"]["total"], per_model["alpha"]["cost"]) == (2, 1_000)
    assert (per_model["beta"]["failed"], per_model["beta"]["refused"]) == (1, 1)
    assert data.spent_total == 1_000
    assert len(data.spending.rows) == 30
    assert '<svg class="chart"' in response.content.decode()


def test_the_per_model_table_counts_batches_and_sums_to_the_periods_spending(
    client, api, funded_user, served, enqueued
):
    job_id = upload(api, "x1,x2\n1,2\n3,4\n99,1\n5,6\n").json()["id"]
    batch_job_run_task(job_id)  # three rows charged, one failed
    inputs = json.dumps({"inputs": [{"x1": 1, "x2": 2}] * 2})
    api.post("/api/v1/models/tiny/predict", inputs, content_type="application/json")
    client.force_login(funded_user)

    data = client.get(reverse("analytics:dashboard")).context["data"]

    (tiny,) = data.per_model.rows
    assert (tiny["succeeded"], tiny["rows"], tiny["batch_rows"]) == (1, 2, 3)
    assert tiny["cost"] == 5 * PRICE == data.spent_total
    russian = client.get(reverse("analytics:dashboard"), HTTP_ACCEPT_LANGUAGE="ru")
    page = russian.content.decode()
    assert "Прогноз модели tiny v1: 2 строки" in page
    assert f"Пакетное задание {job_id}: списано 3 строки модели tiny" in page


def test_the_predictions_csv_holds_the_users_predictions_of_the_period(
    client, customer, tokyo, alpha
):
    inside = PredictionFactory(
        user=customer, model_version=alpha, created_at=utc("2026-02-28 15:00")
    )
    PredictionFactory(user=customer, model_version=alpha, created_at=utc("2026-02-28 14:59"))
    PredictionFactory(model_version=alpha, created_at=utc("2026-03-01 00:00"))

    response = client.get(reverse("analytics:predictions_csv"), MARCH)

    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][:3] == ["id", "created_at", "model"]
    assert [line[0] for line in lines[1:]] == [str(inside.pk)]
    assert lines[1][1] == "2026-03-01T00:00:00+09:00"
    assert lines[1][6] == "0.10"


def test_the_csv_rows_add_up_to_the_dashboard_figures(client, customer, alpha, beta):
    when = timezone.now() - timedelta(days=1)
    PredictionFactory.create_batch(3, user=customer, model_version=alpha, created_at=when)
    PredictionFactory(user=customer, model_version=beta, status="failed", created_at=when)

    page = client.get(reverse("analytics:dashboard")).context["data"]
    response = client.get(reverse("analytics:predictions_csv"))

    lines = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    per_model = {row["model"]: row for row in page.per_model.rows}
    assert len(lines) == sum(row["total"] for row in per_model.values())
    assert sum(line["model"] == "alpha" for line in lines) == per_model["alpha"]["total"]


def test_the_dashboard_links_billings_statement_csv_for_the_same_period(client, customer):
    response = client.get(reverse("analytics:dashboard"), MARCH)

    assert (
        f"{reverse('billing:statement_csv')}?date_from=2026-03-01&amp;date_to=2026-03-03"
        in response.content.decode()
    )


def test_the_dashboard_takes_a_fixed_number_of_queries(
    client, customer, alpha, beta, django_assert_num_queries
):
    def activity() -> None:
        for version in (alpha, beta):
            PredictionFactory.create_batch(3, user=customer, model_version=version)
            BatchJobFactory(user=customer, model_version=version)
        topup_create(user=customer, amount=1_000)

    activity()
    # session, user, wallet (page, and billing's navigation balance), spending, per model
    # (predictions, batch rows, credits), recent predictions, batches, movements, top-ups
    with django_assert_num_queries(12):
        client.get(reverse("analytics:dashboard"))
    activity()
    with django_assert_num_queries(12):
        response = client.get(reverse("analytics:dashboard"))
    assert len(response.context["data"].recent_predictions) == 10


def test_the_per_model_tables_follow_the_catalogues_order(client, customer):
    for slug in reversed([*CASES, "an-operators-own"]):  # charged backwards
        wallet_charge(user=customer, amount=10, reference=slug, revenue_account=f"revenue:{slug}")
        MLModelFactory(slug=slug)

    dashboard = client.get(reverse("analytics:dashboard")).context["data"].per_model
    (revenue, _per_day) = selectors.revenue_report(period=default_period())

    assert [row["model"] for row in dashboard.rows] == [*CASES, "an-operators-own"]
    assert [row["model"] for row in revenue.rows] == [*CASES, "an-operators-own"]
