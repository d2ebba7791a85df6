from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_landing_page_explains_the_service(client):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "charged only for predictions that succeed" in html
    assert "How billing works" in html
    # The list of models comes from the predictions registry: predictions tests it.
    assert reverse("account_signup") in html


def test_the_navigation_links_a_logged_in_user_to_their_account(logged_in_client):
    html = logged_in_client.get(reverse("home")).content.decode()

    assert f'href="{reverse("my_account")}"' in html
    assert "My account" in html
    assert reverse("account_signup") not in html


@pytest.mark.postgres
def test_postgres_marked_tests_run_only_on_postgresql():
    # Proves the root conftest hook: on SQLite this test is skipped, never failed.
    assert connection.vendor == "postgresql"


def test_a_page_that_needs_an_account_sends_to_log_in_and_says_why(client):
    page = client.get("/dashboard/", follow=True)

    html = page.content.decode()
    assert page.redirect_chain[-1][0].startswith("/auth/login/?next=")
    assert "log in first, and you will be taken there" in html
    assert "<h1>Log in</h1>" in html
    assert "Sign In" not in html


def test_the_login_page_opened_directly_gives_no_reason(client):
    html = client.get("/auth/login/").content.decode()

    assert "<h1>Log in</h1>" in html
    assert "you will be taken there" not in html
