from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import ApiToken, hash_token_key
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _obtain(api_client, **data):
    return api_client.post(reverse("api_auth_token"), data, format="json")


def test_auth_token_returns_a_working_token(api_client, user):
    response = _obtain(api_client, email=user.email, password=DEFAULT_PASSWORD, name="script")

    body = response.json()
    assert response.status_code == 201
    assert body["name"] == "script"
    assert parse_datetime(body["expires_at"]) == ApiToken.objects.get(user=user).expires_at
    assert ApiToken.objects.get(user=user).key_hash == hash_token_key(body["token"])
    me = api_client.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.json()["id"] == user.id


def test_auth_token_accepts_the_email_in_any_case(api_client, user):
    response = _obtain(api_client, email=user.email.upper(), password=DEFAULT_PASSWORD)

    assert response.status_code == 201
    assert ApiToken.objects.get(user=user).name.startswith("API, ")


def test_auth_token_gives_the_same_answer_for_a_wrong_password_and_an_unknown_email(
    api_client, user
):
    wrong_password = _obtain(api_client, email=user.email, password="wrong-password")
    unknown_email = _obtain(api_client, email="nobody@example.com", password=DEFAULT_PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json() == unknown_email.json()
    assert "password" in wrong_password.json()["detail"]
    assert not ApiToken.objects.exists()


def test_auth_token_refuses_a_deactivated_user_like_a_wrong_password(api_client):
    inactive = UserFactory(is_active=False)

    response = _obtain(api_client, email=inactive.email, password=DEFAULT_PASSWORD)
    wrong = _obtain(api_client, email="nobody@example.com", password="x")

    assert response.status_code == 400
    assert response.json() == wrong.json()


def test_auth_token_refuses_an_unverified_email(api_client):
    unverified = UserFactory(verified_email=False)

    response = _obtain(api_client, email=unverified.email, password=DEFAULT_PASSWORD)

    assert response.status_code == 400
    assert "verified" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_auth_token_reports_missing_fields(api_client):
    response = _obtain(api_client, email="not-an-email")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password"}


def test_auth_token_is_throttled(api_client, user):
    throttle = ScopedRateThrottle()
    allowed, _period = throttle.parse_rate(
        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_token"]
    )
    statuses = [
        _obtain(api_client, email=user.email, password=DEFAULT_PASSWORD).status_code
        for _ in range(allowed)
    ]

    response = _obtain(api_client, email=user.email, password=DEFAULT_PASSWORD)

    assert statuses == [201] * allowed
    assert response.status_code == 429
    assert ApiToken.objects.filter(user=user).count() == allowed


def test_auth_token_counts_failures_towards_the_login_limit(api_client, user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/5m/key"}
    for _ in range(2):
        _obtain(api_client, email=user.email, password="wrong-password")

    response = _obtain(api_client, email=user.email, password=DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert not ApiToken.objects.exists()


def test_me_refuses_anonymous_requests(api_client):
    response = api_client.get(reverse("api_me"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_me_returns_the_user(api_client, user):
    api_client.force_authenticate(user)

    response = api_client.get(reverse("api_me"))

    assert response.status_code == 200
    assert set(response.json()) == {"id", "email", "date_joined"}
    assert response.json()["email"] == user.email


def test_the_openapi_schema_describes_the_accounts_api(client):
    response = client.get(reverse("api_schema"), {"format": "json"})

    schema = response.json()
    token_post = schema["paths"]["/api/v1/auth/token"]["post"]
    assert response.status_code == 200
    assert set(token_post["responses"]) == {"201", "400", "413", "415", "429"}
    assert token_post.get("security", [{}]) == [{}]
    assert "get" in schema["paths"]["/api/v1/me"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
