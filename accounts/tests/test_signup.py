from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-orchard-velvet-42"


def _sign_up(client, email: str, password: str = NEW_PASSWORD, password2: str | None = None):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password2 or password},
    )


def _confirmation_link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/auth/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _login(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_sign_up_sends_a_verification_link_that_logs_the_user_in(client):
    response = _sign_up(client, "new@example.com")

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not _is_logged_in(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert mail.outbox[0].body.startswith("Hello from mlbilling!")

    link = _confirmation_link(mail.outbox[0])
    confirm_page = client.get(link)
    assert confirm_page.status_code == 200
    assert "new@example.com" in confirm_page.content.decode()
    response = client.post(link)

    assert response.status_code == 302
    assert _is_logged_in(client)
    assert EmailAddress.objects.get(email="new@example.com").verified
    assert client.get(reverse("my_account")).status_code == 200


def test_an_unverified_user_cannot_log_in(client):
    _sign_up(client, "new@example.com")
    client.logout()

    response = _login(client, "new@example.com", NEW_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not _is_logged_in(client)


def test_sign_up_refuses_an_email_that_is_already_registered(client):
    UserFactory(email="taken@example.com")

    response = _sign_up(client, "TAKEN@example.com")

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert 'class="errorlist' in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert mail.outbox == []


def test_sign_up_refuses_an_invalid_email(client):
    response = _sign_up(client, "not-an-email")

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not User.objects.exists()


@pytest.mark.parametrize("weak_password", ["12345678", "password", "short"])
def test_sign_up_refuses_a_weak_password(client, weak_password):
    response = _sign_up(client, "new@example.com", password=weak_password)

    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.exists()


def test_sign_up_refuses_passwords_that_differ(client):
    response = _sign_up(client, "new@example.com", password2="another-password-42")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.exists()


def test_a_verified_user_logs_in_and_out(client, user):
    response = _login(client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert _is_logged_in(client)

    client.post(reverse("account_logout"))

    assert not _is_logged_in(client)


def test_login_with_a_wrong_password_shows_an_error_on_the_form(client, user):
    response = _login(client, user.email, "wrong-password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not _is_logged_in(client)


def test_login_refuses_even_the_right_password_after_too_many_failures(client, user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        assert _login(client, user.email, "wrong-password").status_code == 200

    response = _login(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert "too many" in " ".join(response.context["form"].non_field_errors()).lower()
    assert not _is_logged_in(client)


def test_password_reset_mails_a_link_that_sets_a_new_password(client, user):
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/auth/password/reset/key/[^\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    form_page = client.get(link.group(1), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_change_needs_the_old_password(logged_in_client, user):
    response = logged_in_client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong-password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("url_name", "logged_in", "has_form"),
    [
        ("account_login", False, True),
        ("account_signup", False, True),
        ("account_reset_password", False, True),
        ("account_email_verification_sent", False, False),
        ("account_email", True, True),
        ("account_change_password", True, True),
        ("account_logout", True, True),
    ],
)
def test_allauth_pages_render_in_the_site_layout(client, user, url_name, logged_in, has_form):
    if logged_in:
        client.force_login(user)

    response = client.get(reverse(url_name))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in html
    assert "css/site.css" in html
    assert ('class="card form"' in html) == has_form
