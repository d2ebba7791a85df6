"""The journey a person takes, in a real browser (Debian's Chromium, headless) against a
live server on PostgreSQL: sign up, verify the email, log in, top up through the sandbox
checkout, predict with a model's form, upload a CSV batch that a real qcluster worker
runs while the progress bar fills, download the result, see the charges on the
statement and the dashboard; an operator grants credits in the admin and views a
report. Every page is checked for Content-Security-Policy violations. Screenshots of
each step go to ci-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connections

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from billing.money import format_credits
from billing.selectors import ledger_reconcile
from mlbilling.tests.browser import BROWSER_TEST, CHROMIUM, CHROMIUM_ARGS, batch_csv
from mlbilling.tests.processes import env_on_the_test_database, stop

SCREENSHOTS = Path(settings.BASE_DIR) / "ci-artifacts" / "screenshots"
BATCH_ROWS = 20
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/auth/confirm-email/\S+)")

# The worker and the browser see the server's data only through a real database.
pytestmark = [*BROWSER_TEST, pytest.mark.postgres]


class Journey:
    """One browser; numbered screenshots; the CSP violations any page reported."""

    def __init__(self, browser, base_url: str, prefix: str) -> None:
        self.browser = browser
        self.prefix = prefix
        self.base_url = base_url
        self.csp_violations: list[str] = []
        self.step = 0

    def new_page(self):
        context = self.browser.new_context(base_url=self.base_url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("console", self._console)
        return page

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def shot(self, page, name: str) -> None:
        self.step += 1
        page.screenshot(
            path=SCREENSHOTS / f"{self.prefix}-{self.step:02d}-{name}.png", full_page=True
        )


@pytest.fixture
def journey(request, live_server, monkeypatch) -> Iterator[Journey]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes between browser steps are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield Journey(browser, live_server.url, prefix=request.node.name.removeprefix("test_")[:40])
        browser.close()
        # Under the running loop the ORM keeps its connection per context, not per thread:
        # close it here, or the test database cannot be dropped at the end.
        connections.close_all()


@pytest.fixture
def qcluster(settings) -> Iterator[subprocess.Popen]:
    """A real `manage.py qcluster` on the test database and media folder."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=env_on_the_test_database(Q_WORKERS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield worker
    stop(worker)


def _sign_up_and_verify(journey: Journey, email: str, password: str):
    page = journey.new_page()
    page.goto("/auth/signup/")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password1"]', password)
    page.fill('input[name="password2"]', password)
    journey.shot(page, "sign-up")
    page.click('main button[type="submit"]')
    page.wait_for_url("**/auth/confirm-email/")
    journey.shot(page, "verification-sent")

    link = CONFIRM_LINK.search(mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    page.goto(link[1])
    journey.shot(page, "confirm-email")
    page.click('main button[type="submit"]')
    page.wait_for_load_state()
    return page


def _log_in(page, email: str, password: str) -> None:
    page.goto("/auth/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    page.click('main button[type="submit"]')
    page.wait_for_url(lambda url: "/auth/login/" not in url)


def _top_up_through_the_sandbox(journey: Journey, page) -> None:
    page.goto("/billing/top-up/")
    journey.shot(page, "top-up")
    page.click('button:has-text("Buy 25.00")')
    page.wait_for_url("**/billing/sandbox/checkout/**")
    journey.shot(page, "sandbox-checkout")
    page.click('button[value="pay"]')
    page.wait_for_url("**/billing/top-up/*/")
    assert "25.00 credits added" in page.content()
    journey.shot(page, "top-up-paid")


def _predict_with_the_model_form(journey: Journey, page, price: str) -> None:
    page.goto("/models/nhanes-age/")
    journey.shot(page, "model-card")
    page.click('form.predict-form button[type="submit"]')
    page.wait_for_url("**/predictions/*/")
    results = page.inner_text("main")
    assert "Results" in results
    assert f"{price} credits" in results
    journey.shot(page, "prediction")


def _run_a_batch_and_download_it(journey: Journey, page, csv: Path) -> None:
    page.goto("/batches/new/")
    page.select_option('select[name="model"]', "nhanes-age")
    page.set_input_files('input[name="file"]', str(csv))
    journey.shot(page, "batch-upload")
    page.click('main button[type="submit"]')
    page.wait_for_url("**/batches/*/")
    journey.shot(page, "batch-checked")
    page.click('button:has-text("Confirm and start")')
    page.wait_for_selector('[role="progressbar"][aria-valuenow="100"]', timeout=60_000)
    page.wait_for_selector('[data-field="download"]:not([hidden])')
    journey.shot(page, "batch-done")
    with page.expect_download() as download:
        page.click('[data-field="download"]')
    result = download.value.path().read_text().splitlines()
    assert len(result) == BATCH_ROWS + 1
    assert result[0].endswith(",prediction,probability,error")


def _see_the_charges_on_the_statement_and_the_dashboard(journey: Journey, page, spent: str) -> None:
    page.goto("/billing/statement/")
    statement = page.inner_text("main")
    assert "25.00" in statement
    assert statement.count("nhanes-age") >= 2  # the prediction and the batch
    journey.shot(page, "statement")

    page.goto("/dashboard/")
    assert spent in page.inner_text("main")
    journey.shot(page, "dashboard")


def _an_operator_grants_credits_and_reads_a_report(journey: Journey, email: str) -> None:
    UserFactory(email="operator@example.com", is_staff=True, is_superuser=True)
    admin = journey.new_page()
    admin.goto("/admin/login/")
    admin.fill('input[name="username"]', "operator@example.com")
    admin.fill('input[name="password"]', DEFAULT_PASSWORD)
    admin.click('input[type="submit"]')
    admin.wait_for_url("**/admin/")
    admin.goto(f"/admin/billing/account/?q={email}")
    admin.check('input[name="_selected_action"]')
    admin.select_option('select[name="action"]', "grant_credits")
    admin.click('button[name="index"]')
    admin.fill('input[name="amount"]', "5.00")
    admin.fill('input[name="reason"]', "welcome gift")
    journey.shot(admin, "admin-grant")
    admin.click('input[name="apply"]')
    admin.wait_for_load_state()
    assert "5.00 credits." in admin.inner_text("body")
    journey.shot(admin, "admin-granted")
    admin.goto("/admin/reports/predictions/")
    assert "nhanes-age" in admin.inner_text("body")
    journey.shot(admin, "admin-report")


def _see_the_grant_on_the_statement(journey: Journey, page, balance: str) -> None:
    page.goto("/billing/statement/")
    assert "welcome gift" in page.inner_text("main")
    assert balance in page.inner_text("body")
    journey.shot(page, "statement-with-grant")


def test_a_customer_signs_up_pays_predicts_runs_a_batch_and_an_operator_grants_and_reports(
    nhanes_in_production, qcluster, journey, tmp_path
):
    email, password = "journey@example.com", "a-journey-password-2026"
    price_per_row = nhanes_in_production.model.price_per_row
    page = _sign_up_and_verify(journey, email, password)

    page.click('nav button:has-text("Log out")')
    page.wait_for_load_state()
    _log_in(page, email, password)
    journey.shot(page, "logged-in")

    _top_up_through_the_sandbox(journey, page)
    _predict_with_the_model_form(journey, page, format_credits(price_per_row))
    _run_a_batch_and_download_it(journey, page, batch_csv(tmp_path / "rows.csv", BATCH_ROWS))
    spent = price_per_row * (1 + BATCH_ROWS)
    _see_the_charges_on_the_statement_and_the_dashboard(journey, page, format_credits(spent))
    _an_operator_grants_credits_and_reads_a_report(journey, email)
    _see_the_grant_on_the_statement(journey, page, format_credits(3_000 - spent))

    assert ledger_reconcile().clean
    assert journey.csp_violations == []


def test_the_api_docs_render_under_the_content_security_policy(journey):
    page = journey.new_page()
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "mlbilling API" in page.inner_text(".swagger-ui .info .title")
    journey.shot(page, "api-docs")

    assert journey.csp_violations == []
