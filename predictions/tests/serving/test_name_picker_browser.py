"""The malware form's name picker in a real browser (Debian's Chromium, headless) against
a live server: search as you type, pick and remove with the keyboard and the mouse, the
chips and the checkbox grid in step, and the chosen names are what the prediction gets."""

from __future__ import annotations

from accounts.tests.factories import UserFactory
from billing.services.wallets import wallet_grant
from mlbilling.tests.browser import BROWSER_TEST, log_in, promoted_on_a_sample
from predictions.ml.cases import get_case
from predictions.ml.cases.android_malware.features import FEATURES
from predictions.models import Prediction

pytestmark = BROWSER_TEST

SLUG = "android-malware"


def _chips(page) -> list[str]:
    return page.locator("[data-chips] .chip span").all_inner_texts()


def _checked(page) -> list[str]:
    return page.eval_on_selector_all(
        '[data-name-picker-grid] input[type="checkbox"]:checked', "boxes => boxes.map(b => b.value)"
    )


def test_type_pick_remove_and_submit_with_the_name_picker(browser_page):
    page = browser_page
    promoted_on_a_sample(SLUG)
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="test")
    log_in(page, user.email)
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
