from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, hash_token_key
from accounts.services import (
    TOKEN_LAST_USED_RESOLUTION,
    api_token_create,
    api_token_revoke,
    api_token_touch,
)
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _auth(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def test_a_created_token_is_stored_only_as_a_hash(user):
    token, key = api_token_create(user=user, name="laptop")

    assert token.key_hash == hash_token_key(key)
    assert token.prefix == key[: ApiToken.PREFIX_LENGTH]
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert len(key) >= 40


def test_revoking_another_users_token_is_refused_and_changes_nothing(user):
    token, _key = api_token_create(user=UserFactory(), name="theirs")

    with pytest.raises(ApiToken.DoesNotExist):
        api_token_revoke(user=user, token_id=token.pk)

    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_twice_keeps_the_first_revocation_time(user):
    token, _key = api_token_create(user=user, name="laptop")
    first = api_token_revoke(user=user, token_id=token.pk).revoked_at

    second = api_token_revoke(user=user, token_id=token.pk).revoked_at

    assert first is not None
    assert second == first


def test_the_account_page_creates_a_token_and_shows_its_key_once(logged_in_client, user):
    created = logged_in_client.post(
        reverse("api_token_create"), {"name": "ci runner", "expires_in_days": "30"}
    )
    response = logged_in_client.get(created["Location"])

    token = ApiToken.objects.get(user=user)
    key = response.context["new_token_key"]
    assert (created.status_code, created["Location"]) == (302, reverse("my_account"))
    assert token.name == "ci runner"
    assert token.key_hash == hash_token_key(key)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    # Reloading the page shows no key and creates no token.
    assert key not in logged_in_client.get(reverse("my_account")).content.decode()
    assert ApiToken.objects.filter(user=user).count() == 1


def test_the_account_page_creates_a_token_without_expiry(logged_in_client, user):
    logged_in_client.post(reverse("api_token_create"), {"name": "server", "expires_in_days": ""})

    assert ApiToken.objects.get(user=user).expires_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": ""}, "name"), ({"name": "x", "expires_in_days": "0"}, "expires_in_days")],
)
def test_the_account_page_refuses_an_invalid_token_form(logged_in_client, user, data, field):
    response = logged_in_client.post(reverse("api_token_create"), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="errorlist' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_account_page_lists_only_the_users_own_tokens(logged_in_client, user):
    api_token_create(user=user, name="mine")
    api_token_create(user=UserFactory(), name="someone else's")

    response = logged_in_client.get(reverse("my_account"))

    html = response.content.decode()
    assert response.status_code == 200
    assert user.email in html
    assert "mine" in html
    assert "someone else" not in html
    assert [t.name for t in response.context["tokens"]] == ["mine"]


def test_the_account_page_shows_each_tokens_status(logged_in_client, user):
    api_token_create(user=user, name="live")
    api_token_create(user=user, name="old", expires_at=timezone.now() - timedelta(days=1))
    revoked, _key = api_token_create(user=user, name="gone")
    api_token_revoke(user=user, token_id=revoked.pk)

    html = logged_in_client.get(reverse("my_account")).content.decode()

    assert "Active" in html
    assert "Expired" in html
    assert "Revoked" in html
    assert html.count(">Revoke<") == 1


def test_the_account_page_needs_a_login(client):
    response = client.get(reverse("my_account"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_revoking_asks_first_and_the_question_changes_nothing(logged_in_client, user):
    token, _key = api_token_create(user=user, name="laptop")

    question = logged_in_client.get(reverse("api_token_revoke", args=[token.pk]))

    assert question.status_code == 200
    assert "Revoke token laptop" in question.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_account_page_revokes_a_token(logged_in_client, user):
    token, _key = api_token_create(user=user, name="laptop")

    response = logged_in_client.post(reverse("api_token_revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_account_page_answers_404_for_another_users_token(logged_in_client):
    token, _key = api_token_create(user=UserFactory(), name="theirs")

    response = logged_in_client.post(reverse("api_token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_api_accepts_an_active_token(api_client, user):
    _token, key = api_token_create(user=user, name="laptop")

    response = api_client.get(reverse("api_me"), **_auth(key))

    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_the_api_refuses_a_revoked_token(api_client, user):
    token, key = api_token_create(user=user, name="laptop")
    api_token_revoke(user=user, token_id=token.pk)

    response = api_client.get(reverse("api_me"), **_auth(key))

    assert response.status_code == 401


def test_the_api_refuses_an_expired_token(api_client, user):
    _token, key = api_token_create(
        user=user, name="laptop", expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = api_client.get(reverse("api_me"), **_auth(key))

    assert response.status_code == 401


def test_the_api_refuses_a_token_of_a_deactivated_user(api_client, user):
    _token, key = api_token_create(user=user, name="laptop")
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = api_client.get(reverse("api_me"), **_auth(key))

    assert response.status_code == 401


def test_the_api_refuses_an_unknown_token(api_client):
    response = api_client.get(reverse("api_me"), **_auth("not-a-token"))

    assert response.status_code == 401


def test_using_a_token_records_when_it_was_last_used(api_client, user):
    token, key = api_token_create(user=user, name="laptop")

    api_client.get(reverse("api_me"), **_auth(key))

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_used_is_written_at_most_once_per_resolution(user, django_assert_num_queries):
    token, _key = api_token_create(user=user, name="laptop")
    now = timezone.now()
    api_token_touch(token=token, now=now)
    token.refresh_from_db()

    with django_assert_num_queries(0):
        api_token_touch(token=token, now=now + TOKEN_LAST_USED_RESOLUTION / 2)
    api_token_touch(token=token, now=now + TOKEN_LAST_USED_RESOLUTION * 2)

    token.refresh_from_db()
    assert token.last_used_at == now + TOKEN_LAST_USED_RESOLUTION * 2


def test_a_stale_copy_of_the_token_does_not_overwrite_a_recent_use(user):
    token, _key = api_token_create(user=user, name="laptop")
    now = timezone.now()
    stale_copy = ApiToken.objects.get(pk=token.pk)
    api_token_touch(token=token, now=now)

    # Another request that loaded the token before the first write must not write again.
    api_token_touch(token=stale_copy, now=now + TOKEN_LAST_USED_RESOLUTION / 2)

    token.refresh_from_db()
    assert token.last_used_at == now
