"""Property: hostile values in any field of any case's predict body, sent through the real
HTTP stack with a real token, never make a 5xx and never move money.

Each case is served (a production version) to a user whose wallet is empty: a body the
API refuses is a 400 that records nothing; a body it accepts reaches the credit
pre-check and is a 402 with a refused record, which is where a NUL character used to
reach PostgreSQL and fail as a 500. Examples are limited per case to keep CI fast.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from billing.models import Transfer
from billing.selectors import wallet_balance
from billing.services.wallets import wallet_open
from predictions.ml.cases import CASES
from predictions.models import Prediction
from predictions.tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_CASE = 40

hostile_values = st.one_of(
    st.text(max_size=10).map(lambda text: f"{text}\x00{text}"),
    st.sampled_from(["\ud800", "a\udfffb", "\udbff\udbff"]),
    st.integers(min_value=2**63) | st.just(10**400) | st.integers(max_value=-(2**63)),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -1e308]),
    st.none() | st.booleans() | st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.integers(min_value=1, max_value=300).map(lambda kb: "x" * (kb * 1024)),
)
extra_keys = st.dictionaries(st.text(min_size=1, max_size=8), hostile_values, max_size=2)


@st.composite
def hostile_bodies(draw: st.DrawFn, slug: str) -> str:
    """A JSON body: the case's example with one field made hostile, maybe extra keys in
    the row or beside `inputs`, or rows nested far too deep."""
    case = CASES[slug]
    if draw(st.integers(0, 9)) == 0:
        depth = draw(st.sampled_from([33, 1_000, 100_000]))
        return '{"inputs": [' + "[" * depth + "]" * depth + "]}"
    row: dict[str, Any] = dict(case.example)
    row[draw(st.sampled_from(case.schema.names))] = draw(hostile_values)
    row.update(draw(extra_keys))
    body: dict[str, Any] = {"inputs": [row]}
    if draw(st.booleans()):
        body.update(draw(extra_keys))
    return json.dumps(body)


@pytest.fixture
def empty_wallet_client() -> tuple[APIClient, Any]:
    user = UserFactory()
    wallet_open(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='fuzz')[1]}")
    return client, user


@pytest.mark.parametrize("slug", sorted(CASES))
def test_hostile_predict_bodies_never_fail_the_server_or_charge(slug, empty_wallet_client):
    client, user = empty_wallet_client
    ModelVersionFactory(model=MLModelFactory(slug=slug, price_per_row=10))

    @settings(
        max_examples=EXAMPLES_PER_CASE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=hostile_bodies(slug))
    def check(body: str) -> None:
        records = Prediction.objects.count()
        response = client.post(
            f"/api/v1/models/{slug}/predict", body, content_type="application/json"
        )

        assert response.status_code in {400, 402}, response.content[:500]
        assert response.json()["code"]
        added = Prediction.objects.count() - records
        if response.status_code == 400:
            assert added == 0
        else:
            assert added == 1
            assert Prediction.objects.latest("created_at").status == "refused"
        assert wallet_balance(user=user).balance == 0
        assert not Transfer.objects.exists()

    check()
