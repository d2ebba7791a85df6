from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import TopUp, TopUpState
from billing.services.topups import topup_create
from billing.services.wallets import wallet_charge, wallet_grant


def test_the_balance_is_reported_as_strings_with_two_decimals(api, user):
    wallet_grant(user=user, amount=1_250, reason="test")
    response = api.get("/api/v1/balance")
    assert response.status_code == 200
    assert response.json() == {"balance": "12.50", "held": "0.00", "available": "12.50"}


def test_the_api_needs_authentication(db):
    assert APIClient().get("/api/v1/balance").status_code in {401, 403}


def test_transactions_list_the_callers_movements_newest_first(api, user, other_user):
    wallet_grant(user=user, amount=1_000, reason="welcome")
    wallet_charge(user=user, amount=250, reference="p:1", revenue_account="revenue:x")
    wallet_grant(user=other_user, amount=5_000, reason="not yours")
    body = api.get("/api/v1/transactions").json()
    assert body["count"] == 2
    assert [(t["kind"], t["amount"], t["balance_after"]) for t in body["results"]] == [
        ("charge", "-2.50", "7.50"),
        ("grant", "10.00", "10.00"),
    ]


def test_transactions_filter_by_kind_and_date(api, user):
    wallet_grant(user=user, amount=1_000, reason="welcome")
    wallet_charge(user=user, amount=250, reference="p:1", revenue_account="revenue:x")
    assert api.get("/api/v1/transactions?kind=charge").json()["count"] == 1
    assert api.get("/api/v1/transactions?date_to=2000-01-01").json()["count"] == 0
    assert api.get("/api/v1/transactions?date_from=2000-01-01").json()["count"] == 2


@pytest.mark.parametrize("query", ["kind=nonsense", "date_from=yesterday"])
def test_bad_transaction_filters_are_a_400(api, query):
    assert api.get(f"/api/v1/transactions?{query}").status_code == 400


def test_a_top_up_returns_its_id_state_and_checkout_url(api, user):
    response = api.post("/api/v1/topups", {"amount": "25.00"}, format="json")
    assert response.status_code == 201
    body = response.json()
    topup = TopUp.objects.get(pk=body["id"])
    assert (topup.user, topup.amount) == (user, 2_500)
    assert body["state"] == "pending"
    assert body["amount"] == "25.00"
    assert body["checkout_url"].startswith("http://testserver/billing/sandbox/checkout/")


@pytest.mark.parametrize(
    "amount",
    ["0", "-5.00", "25.001", "abc", "", "NaN", "1e400", "99999999999999999999", 25.0, 25, None],
)
def test_bad_top_up_amounts_are_a_400_naming_the_field(api, amount):
    response = api.post("/api/v1/topups", {"amount": amount}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["amount"]
    assert not TopUp.objects.exists()


def test_a_missing_amount_is_a_400(api):
    response = api.post("/api/v1/topups", {}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()["errors"]


def test_another_users_top_up_is_a_404(api, other_user):
    theirs = topup_create(user=other_user, amount=2_500)
    assert api.get(f"/api/v1/topups/{theirs.pk}").status_code == 404
    mine = api.post("/api/v1/topups", {"amount": "25.00"}, format="json").json()
    assert api.get(f"/api/v1/topups/{mine['id']}").json()["state"] == TopUpState.PENDING


def test_without_a_payment_provider_a_top_up_is_a_503_and_creates_nothing(api, settings):
    settings.BILLING_PAYMENT_PROVIDERS = {}
    response = api.post("/api/v1/topups", {"amount": "25.00"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "payments_unavailable"
    assert not TopUp.objects.exists()


def test_a_top_up_past_the_pending_cap_is_a_409_and_creates_nothing(api, user, settings):
    settings.BILLING_TOPUP_MAX_PENDING = 3
    answers = [api.post("/api/v1/topups", {"amount": "25.00"}, format="json") for _ in range(4)]

    assert [a.status_code for a in answers] == [201, 201, 201, 409]
    assert answers[-1].json()["code"] == "too_many_pending_topups"
    assert answers[-1].json()["limit"] == 3
    assert TopUp.objects.filter(user=user).count() == 3


def test_expired_pending_top_ups_do_not_count_towards_the_cap(api, user, settings):
    settings.BILLING_TOPUP_MAX_PENDING = 1
    first = topup_create(user=user, amount=2_500)
    TopUp.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = api.post("/api/v1/topups", {"amount": "25.00"}, format="json")

    assert response.status_code == 201
