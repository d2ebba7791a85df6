from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from mlbilling.security import ContentSecurityPolicyMiddleware, policy_for

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted(
    p.relative_to(ROOT)
    for d in [ROOT / "templates", *ROOT.glob("*/templates")]
    for p in d.rglob("*.html")
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.django_db
def test_every_page_carries_a_content_security_policy_without_inline_code(client):
    response = client.get("/")

    directives = _directives(response["Content-Security-Policy"])
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_api_docs_relax_styles_only_and_load_their_script_from_a_file(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    directives = _directives(response["Content-Security-Policy"])
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert not INLINE_SCRIPT.search(response.content.decode())
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_a_policy_set_by_a_view_is_kept(rf):
    def view(request):
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))

    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_only_the_api_docs_get_a_relaxed_policy():
    assert policy_for("/api/docs/") != settings.CONTENT_SECURITY_POLICY
    assert policy_for("/api/v1/models") == settings.CONTENT_SECURITY_POLICY
    assert policy_for("/admin/") == settings.CONTENT_SECURITY_POLICY


@pytest.mark.django_db
def test_pages_refuse_framing_sniffing_and_leaking_the_referrer(client):
    response = client.get("/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_hsts_is_sent_over_tls_only(client):
    over_tls = client.get("/", secure=True)
    plain = client.get("/")

    assert over_tls["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert "Strict-Transport-Security" not in plain


@pytest.mark.django_db
def test_production_redirects_plain_http_to_tls(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/account/")

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_and_the_session_is_http_only(client):
    user = UserFactory()
    client.get("/auth/login/", secure=True)

    response = client.post(
        "/auth/login/", {"login": user.email, "password": DEFAULT_PASSWORD}, secure=True
    )

    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"]
    assert session["httponly"]
    assert response.cookies[settings.CSRF_COOKIE_NAME]["secure"]


@pytest.mark.parametrize("template", TEMPLATES, ids=str)
def test_no_template_has_inline_scripts_handlers_or_styles(template):
    text = (ROOT / template).read_text()

    assert not INLINE_SCRIPT.search(text), "move the script to a file under static/js/"
    assert not EVENT_HANDLER.search(text), "attach handlers from a static script"
    assert not STYLE_ATTRIBUTE.search(text), "use a class from static/css (CSP: no inline styles)"
