"""The operator's admin in a real browser (Debian's Chromium, headless) at 1,280 px: a
transfer, a wallet, a hold, a top-up and every report show each amount in credits (never
the hundredths the database keeps, a value 100 times too large) and none of them scrolls
sideways with the admin's side panel open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from analytics.admin_views import REPORTS
from billing.models import Account
from billing.services.holds import hold_create
from billing.services.topups import topup_create
from billing.services.wallets import wallet_grant
from predictions.serving.services import prediction_run

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "ci-artifacts" / "screenshots"
WIDTH = 1280

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def admin_page(live_server, monkeypatch) -> Iterator:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    operator = UserFactory(is_staff=True, is_superuser=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": WIDTH, "height": 900}
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/admin/login/")
        page.fill('input[name="username"]', operator.email)
        page.fill('input[name="password"]', DEFAULT_PASSWORD)
        page.click('input[type="submit"]')
        page.wait_for_url(lambda url: "/login/" not in url)
        yield page
        browser.close()
        connections.close_all()


def _check(page, url: str, name: str, *, credits: list[str], hundredths: list[str]) -> str:
    """Open `url`; every amount in `credits` is shown with the unit (or under a credits
    heading), none of `hundredths` appears, and the page fits the window."""
    page.goto(url)
    page.screenshot(path=SCREENSHOTS / f"admin-{name}.png", full_page=True)
    text = page.inner_text("#content")
    for amount in credits:
        assert amount in text, (name, amount)
    for stored in hundredths:
        assert not re.search(rf"(?<![\d.]){stored}(?![\d])", text), (name, stored)
    scroll, inner = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= inner, f"{name} is {scroll} px wide in a {inner} px window"
    assert page.is_visible("#nav-sidebar"), name  # the admin's side panel is open
    return text


def test_amounts_are_in_credits_and_pages_fit_1280_px(admin_page, served, customer):
    page = admin_page
    user = UserFactory()
    grant = wallet_grant(user=user, amount=5_375, reason="support ticket")
    hold = hold_create(user=user, amount=1_500, reference="job:7", expires_at=timezone.now())
    topup = topup_create(user=user, amount=2_500)
    prediction_run(user=customer, slug="tiny", rows=[{"x1": 1.0}] * 3)  # 0.21 of revenue
    wallet = Account.objects.get(user=user)
    stored = ["5375", "1500", "2500", "3875"]

    pages = {
        "transfer": (reverse("admin:billing_transfer_change", args=[grant.pk]), ["53.75 credits"]),
        "wallet": (
            reverse("admin:billing_account_change", args=[wallet.pk]),
            ["53.75 credits", "15.00 credits"],
        ),
        "hold": (reverse("admin:billing_hold_change", args=[hold.pk]), ["15.00 credits"]),
        "top-up": (reverse("admin:billing_topup_change", args=[topup.pk]), ["25.00 credits"]),
    }
    for name, (url, amounts) in pages.items():
        _check(page, url, name, credits=amounts, hundredths=stored)

    for slug in REPORTS:
        url = reverse("analytics:report", args=[slug]) + "?reconcile=1"
        text = _check(page, url, f"report-{slug}", credits=[], hundredths=stored)
        if slug == "revenue":
            assert "Revenue (credits)" in text
            assert "0.21" in text  # the prediction's charge, not 21
            assert "54.75" in text  # today's grants: 53.75 and the customer's 1.00
        if slug == "top-users":
            assert "0.21" in text
