"""Every page of the site and the admin, as an anonymous visitor, a customer and an
operator, in English and Russian, at 1,280 and 390 px, in Debian's Chromium against a
live server on PostgreSQL. A page fails on: a horizontal scroll bar or a table cell
sticking out of its box, a console error, a failed request, an English text of our
catalogue on a Russian page, a date input holding a non-ISO value, or a serious or
critical axe-core violation. Screenshots go to $CI_ARTIFACTS/pages/ (default
ci-artifacts/pages/).

The customer's data is made the way a person makes it: a prediction through the model's
form, a batch through the upload page, a top-up started on the top-up page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connections
from django.test import RequestFactory
from django.urls import reverse

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from analytics.admin_views import REPORTS
from billing.services.wallets import wallet_grant
from mlbilling.tests import page_checks
from mlbilling.tests.browser import CHROMIUM, CHROMIUM_ARGS, batch_csv, promoted_on_a_sample
from predictions.ml.cases import CASES

SCREENSHOTS = Path(os.environ.get("CI_ARTIFACTS") or Path(settings.BASE_DIR) / "ci-artifacts")
WIDTHS = (1280, 390)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
    pytest.mark.skipif(not page_checks.AXE.exists(), reason="needs axe-core: run npm ci"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


class Sweep:
    """One browser; a context per person and language; the problems of every page."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        # Boxes that may scroll a wide table sideways on a desktop (see page_checks).
        self.scrolling_grids = ""
        self.problems: dict[str, list[str]] = {}
        self.visits = 0

    def page(self, language: str):
        context = self.browser.new_context(
            base_url=self.base_url, locale="ru-RU" if language == "ru" else "en-US"
        )
        context.set_default_timeout(15_000)
        context.add_init_script(path=str(page_checks.AXE))
        page = context.new_page()
        page.on("console", lambda m: self._note(page, f"console {m.type}: {m.text}", m.type))
        page.on("pageerror", lambda error: self._note(page, f"script error: {error}"))
        page.on("requestfailed", lambda r: self._note(page, f"request failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and self._note(page, f"{r.status} {r.url}"))
        page.sweep_language = language
        page.sweep_events = []
        return page

    @staticmethod
    def _note(page, text: str, kind: str = "error") -> None:
        if kind == "error":
            page.sweep_events.append(text)

    def visit(self, page, who: str, path: str) -> None:
        language = page.sweep_language
        for width in WIDTHS:
            self.visits += 1
            page.sweep_events = []
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(path)
            page.wait_for_load_state("load")
            found = list(page.sweep_events)
            if response is None or response.status != 200:
                found.append(f"answered {response and response.status}")
            found += page_checks.layout_problems(page, scrolling_grids=self.scrolling_grids)
            if width == WIDTHS[0]:
                # Language and accessibility do not change with the width; one pass each.
                if language == "ru":
                    found += [f"English: {t}" for t in page_checks.english_on_russian_page(page)]
                found += page_checks.accessibility_violations(page)
            name = f"{who}-{language}-{width}-{path.strip('/').replace('/', '_') or 'home'}"
            # The screenshot shows the whole page: its lazy images load now, and finish here,
            # or the next page's navigation would abort them and count them against it.
            page.evaluate(IMAGES_LOADED)
            page.screenshot(path=SCREENSHOTS / "pages" / f"{name[:120]}.png", full_page=True)
            if found:
                self.problems[f"{who} {language} {width}px {path}"] = found


# Loads every image of the page, lazy ones too; resolves once each has loaded or failed.
IMAGES_LOADED = """() => Promise.all([...document.images].map((image) => {
  image.loading = "eager";
  return image.complete ? null : new Promise((done) => { image.onload = image.onerror = done; });
}))"""


@pytest.fixture
def sweep(live_server, monkeypatch) -> Iterator[Sweep]:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    (SCREENSHOTS / "pages").mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield Sweep(browser, live_server.url)
        browser.close()
        connections.close_all()


def _log_in(page, email: str) -> None:
    page.goto("/auth/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', DEFAULT_PASSWORD)
    page.click('main button[type="submit"]')
    page.wait_for_url(lambda url: "/auth/login/" not in url)
    switch = page.locator(f'.language-switcher button[value="{page.sweep_language}"]')
    if switch.is_enabled():
        switch.click()
        page.wait_for_load_state()


def _customer_data(page, tmp_path: Path) -> list[str]:
    """A prediction with each model, a batch and an unpaid top-up, made in the browser:
    their pages."""
    made = []
    for slug in CASES:
        page.goto(f"/models/{slug}/")
        page.click('form.predict-form button[type="submit"]')
        page.wait_for_url("**/predictions/*/")
        made.append(page.url)
    page.goto("/batches/new/")
    page.select_option('select[name="model"]', "nhanes-age")
    page.set_input_files('input[name="file"]', str(batch_csv(tmp_path / "rows.csv", 5)))
    page.click('main button[type="submit"]')
    page.wait_for_url("**/batches/*/")
    made.append(page.url)
    page.goto("/billing/top-up/")
    page.click("main form button[type=submit] >> nth=0")
    page.wait_for_url("**/billing/sandbox/checkout/**")
    return [*made, page.url]


ANONYMOUS_PAGES = [
    "/",
    "/models/",
    "/models/nhanes-age/predict/",
    "/auth/login/",
    "/auth/signup/",
    "/auth/password/reset/",
]
CUSTOMER_PAGES = [
    "/dashboard/",
    "/predictions/",
    "/batches/",
    "/batches/new/",
    "/billing/top-up/",
    "/billing/statement/",
    "/account/",
    "/auth/email/",
    "/auth/password/change/",
]


def _operator_pages(operator) -> list[str]:
    """Every admin page an operator can open with a link: the index, the reports, each
    model's list, add form (where adding is allowed) and first row, the model-artifact
    upload and the password change."""
    pages = ["/admin/", reverse("admin:password_change"), reverse("analytics:reports")]
    pages += [reverse("analytics:report", args=[slug]) for slug in REPORTS]
    pages.append(reverse("admin:predictions_modelversion_upload"))
    request = RequestFactory().get("/admin/")
    request.user = operator
    for model, model_admin in admin.site._registry.items():  # the admin has no public list
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            change = f"admin:{meta.app_label}_{meta.model_name}_change"
            pages.append(reverse(change, args=[first.pk]))
    return pages


def _model_cards() -> list[str]:
    return [f"/models/{slug}/" for slug in CASES]


def _report(sweep: Sweep, name: str) -> str:
    report = "\n".join(
        f"{where}:\n  " + "\n  ".join(found) for where, found in sweep.problems.items()
    )
    (SCREENSHOTS / "pages" / f"{name}-problems.txt").write_text(report)
    return f"{len(sweep.problems)} of {sweep.visits} page views:\n{report}"


def test_every_site_page_fits_every_screen_speaks_russian_and_passes_axe(sweep, tmp_path):
    for slug in CASES:
        # One card with figures: the check for English left on a Russian page reads them.
        promoted_on_a_sample(slug, figures=slug == "nhanes-age")
    customer = UserFactory(email="customer@example.com")
    wallet_grant(user=customer, amount=10_000, reason="sweep")

    for language in ("en", "ru"):
        anonymous = sweep.page(language)
        for path in sorted({*ANONYMOUS_PAGES, *_model_cards()}):
            sweep.visit(anonymous, "anonymous", path)
        anonymous.context.close()

        page = sweep.page(language)
        _log_in(page, customer.email)
        made = _customer_data(page, tmp_path)
        for path in [*CUSTOMER_PAGES, *_model_cards(), *made]:
            sweep.visit(page, "customer", path.removeprefix(sweep.base_url))
        page.context.close()

    assert not sweep.problems, _report(sweep, "site")


def test_every_admin_page_fits_every_screen_speaks_russian_and_passes_axe(sweep):
    promoted_on_a_sample("nhanes-age")
    wallet_grant(user=UserFactory(), amount=10_000, reason="sweep")
    staff = UserFactory(email="operator@example.com", is_staff=True, is_superuser=True)
    # Django's change lists are data grids of many columns: their .results box scrolls
    # sideways by design. Our own report tables must fit.
    sweep.scrolling_grids = "#changelist .results"

    for language in ("en", "ru"):
        operator = sweep.page(language)
        _log_in(operator, "operator@example.com")
        for path in _operator_pages(staff):
            sweep.visit(operator, "operator", path)
        operator.context.close()

    assert not sweep.problems, _report(sweep, "admin")
