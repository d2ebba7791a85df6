"""Tokens from POST /api/v1/auth/token: named, expiring, capped per user; through the API
with the real token authentication."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_revoke
from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def obtain(api_client, user, **extra):
    data = {"email": user.email, "password": DEFAULT_PASSWORD, **extra}
    response = api_client.post(reverse("api_auth_token"), data, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def me(api_client, key: str):
    return api_client.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_expires_after_the_configured_days(api_client, user, settings):
    settings.API_TOKEN_TTL_DAYS = 90
    before = timezone.now()

    body = obtain(api_client, user, name="ci")

    token = ApiToken.objects.get(user=user)
    assert before + timedelta(days=90) <= token.expires_at <= timezone.now() + timedelta(days=90)
    assert me(api_client, body["token"]).status_code == 200


def test_an_expired_token_is_a_401_saying_it_expired(api_client, user):
    key = obtain(api_client, user)["token"]
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = me(api_client, key)

    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_a_revoked_token_is_a_401_saying_it_was_revoked(api_client, user):
    key = obtain(api_client, user)["token"]
    api_token_revoke(user=user, token_id=ApiToken.objects.get(user=user).pk)

    response = me(api_client, key)

    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")


def test_an_unknown_token_is_a_401(api_client):
    response = me(api_client, "no-such-key")

    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")


def test_an_unnamed_token_is_named_after_the_client_and_the_time(api_client, user):
    api_client.credentials(HTTP_USER_AGENT="python-requests/2.32.3 extra")

    body = obtain(api_client, user)

    assert body["name"].startswith("python-requests/2.32.3, ")
    assert body["name"].endswith(" UTC")


def test_a_login_past_the_cap_revokes_the_oldest_token(api_client, user, settings):
    settings.API_TOKENS_PER_USER = 3
    keys = [obtain(api_client, user, name=f"run {i}")["token"] for i in range(4)]

    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    assert sorted(live.values_list("name", flat=True)) == ["run 1", "run 2", "run 3"]
    assert me(api_client, keys[0]).json()["code"] == "token_revoked"
    assert all(me(api_client, key).status_code == 200 for key in keys[1:])
