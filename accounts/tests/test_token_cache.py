"""The per-process token memory, through the API with real tokens: what it saves, and
that revocation, expiry and deactivation still refuse at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import token_cache
from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def _me(api_client, key: str):
    return api_client.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Token {key}")


def _token_reads(queries: CaptureQueriesContext) -> int:
    return sum(ApiToken._meta.db_table in q["sql"] for q in queries.captured_queries)


def test_a_token_used_again_is_not_read_again(api_client, user):
    _token, key = api_token_create(user=user, name="laptop")
    assert _me(api_client, key).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        again = _me(api_client, key)

    assert again.status_code == 200
    assert again.json()["email"] == user.email
    assert _token_reads(queries) == 0


def test_a_cached_token_is_refused_as_soon_as_it_is_revoked(api_client, user):
    token, key = api_token_create(user=user, name="laptop")
    assert _me(api_client, key).status_code == 200

    api_token_revoke(user=user, token_id=token.pk)

    assert _me(api_client, key).status_code == 401


def test_a_cached_token_is_refused_once_it_expires(api_client, user, monkeypatch):
    expires_at = timezone.now() + timedelta(minutes=1)
    _token, key = api_token_create(user=user, name="laptop", expires_at=expires_at)
    assert _me(api_client, key).status_code == 200

    later = expires_at + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert _me(api_client, key).status_code == 401


def test_a_cached_token_of_a_user_deactivated_here_is_refused_at_once(api_client, user):
    _token, key = api_token_create(user=user, name="laptop")
    assert _me(api_client, key).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert _me(api_client, key).status_code == 401


def test_a_change_made_by_another_process_is_seen_after_the_cache_time(
    api_client, user, monkeypatch
):
    token, key = api_token_create(user=user, name="laptop")
    assert _me(api_client, key).status_code == 200
    # Another process revokes it: nothing tells this one.
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    now = token_cache.time.monotonic()
    monkeypatch.setattr(token_cache.time, "monotonic", lambda: now + 5.1)

    assert _me(api_client, key).status_code == 401


def test_no_caching_when_the_cache_time_is_zero(api_client, user, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    _token, key = api_token_create(user=user, name="laptop")
    assert _me(api_client, key).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert _me(api_client, key).status_code == 200

    assert _token_reads(queries) == 1


def test_requests_get_their_own_copies_of_a_cached_user(api_client, user):
    _token, key = api_token_create(user=user, name="laptop")
    _me(api_client, key)

    first = _me(api_client, key).wsgi_request.user
    second = _me(api_client, key).wsgi_request.user

    assert first.pk == second.pk == user.pk
    assert first is not second
