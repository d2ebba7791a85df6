"""The malware form's name picker in a real browser (Debian's Chromium, headless) against
a live server: search as you type, pick and remove with the keyboard and the mouse, the
chips and the checkbox grid in step, and the chosen names are what the prediction gets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from billing.services.wallets import wallet_grant
from mlbilling.tests.browser import CHROMIUM, CHROMIUM_ARGS, promoted_on_a_sample
from predictions.ml.cases import get_case
from predictions.ml.cases.android_malware.features import FEATURES
from predictions.models import Prediction

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SLUG = "android-malware"


@pytest.fixture
def page(live_server, monkeypatch) -> Iterator:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        yield page
        browser.close()
        connections.close_all()


def _chips(page) -> list[str]:
    return page.locator("[data-chips] .chip span").all_inner_texts()


def _checked(page) -> list[str]:
    return page.eval_on_selector_all(
        '[data-name-picker-grid] input[type="checkbox"]:checked', "boxes => boxes.map(b => b.value)"
    )


def test_type_pick_remove_and_submit_with_the_name_picker(page):
    promoted_on_a_sample(SLUG)
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="test")
    page.goto("/auth/login/")
    page.fill('input[name="login"]', user.email)
    page.fill('input[name="password"]', DEFAULT_PASSWORD)
    page.click('main button[type="submit"]')
    page.wait_for_url(lambda url: "/auth/login/" not in url)
    page.goto(f"/models/{SLUG}/")
    example = get_case(SLUG).example["present"]

    search = page.get_by_role("combobox", name="Search by name")
    assert search.is_visible()
    assert page.locator("[data-name-picker-grid]").get_attribute("open") is None
    assert sorted(_chips(page)) == sorted(example)

    # Backspace in the empty box takes the last chip; a chip's button, by keyboard, its own.
    last = _chips(page)[-1]
    search.focus()
    page.keyboard.press("Backspace")
    page.get_by_role("button", name="Remove INTERNET", exact=True).focus()
    page.keyboard.press("Enter")
    assert sorted(_chips(page)) == sorted(set(example) - {last, "INTERNET"})

    # Type, move down the matches with the arrows, pick with Enter.
    search.focus()
    page.keyboard.type("sms")
    assert search.get_attribute("aria-expanded") == "true"
    offered = page.get_by_role("option").all_inner_texts()
    chips = _chips(page)
    assert offered == [name for name in FEATURES if "sms" in name.lower() and name not in chips]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.get_by_role("option", selected=True).inner_text() == offered[1]
    page.keyboard.press("Enter")
    assert search.input_value() == ""
    assert search.get_attribute("aria-expanded") == "false"

    # Or click a match.
    page.keyboard.type("camera")
    page.get_by_role("option", name="CAMERA", exact=True).click()

    chosen = (set(example) - {"INTERNET", last}) | {offered[1], "CAMERA"}
    assert set(_chips(page)) == chosen
    assert set(_checked(page)) == chosen  # the grid is the form's input, kept in step
    # Ticking in the advanced grid adds a chip too.
    page.click("[data-name-picker-grid] summary")
    page.check('[data-name-picker-grid] input[value="WRITE_SMS"]')
    assert "WRITE_SMS" in _chips(page)

    page.click('form.predict-form button[type="submit"]')
    page.wait_for_url("**/predictions/*/")

    prediction = Prediction.objects.get()
    assert prediction.inputs == [{"present": [n for n in FEATURES if n in chosen | {"WRITE_SMS"}]}]
    assert prediction.status == Prediction.Status.SUCCEEDED
    assert "Results" in page.inner_text("main")
    assert page.errors == []
