"""The batch page follows its job live, in a real browser (Debian's Chromium, headless)
against a live server on PostgreSQL: a worker process runs the job while the page stays
open, and the page's numbers, the header balance and its notices change without a
reload."""

from __future__ import annotations

import pytest

from billing.selectors import wallet_balance
from mlbilling.tests.browser import BROWSER_TEST, log_in
from mlbilling.tests.processes import stop
from predictions.models import BatchJob
from predictions.tests.api.batch_uploads import PRICE
from predictions.tests.batch.test_batch_crash import start_worker

# The worker and the browser see the server's data only through a real database.
pytestmark = [*BROWSER_TEST, pytest.mark.postgres]

ROWS = 30  # one fails (out of range): 29 are charged
NOTHING = "\N{EN DASH}"  # what the page shows for a time it does not know


def _upload_and_confirm(page, email: str, csv_path) -> int:
    log_in(page, email)
    page.goto("/batches/new/")
    page.select_option('select[name="model"]', "tiny")
    page.set_input_files('input[name="file"]', str(csv_path))
    page.click('main button[type="submit"]')
    page.wait_for_url("**/batches/*/")
    page.click('button:has-text("Confirm and start")')
    page.wait_for_load_state()
    return BatchJob.objects.get().pk


def test_the_batch_page_follows_a_job_a_worker_runs_without_a_reload(
    browser_page, funded_user, served, enqueued, settings, tmp_path
):
    page = browser_page
    rows = [f"{i % 10},{i % 7}" for i in range(ROWS)]
    rows[3] = "99,1"  # x1 at most 10: this row fails and costs nothing
    csv_path = tmp_path / "rows.csv"
    csv_path.write_text("x1,x2\n" + "\n".join(rows) + "\n")
    job_id = _upload_and_confirm(page, funded_user.email, csv_path)
    held = ROWS * PRICE
    # Queued (the broker is a stand-in): the page says so, holds the maximum cost.
    main = page.inner_text("main")
    assert "Status: queued" in main
    assert f"{held / 100:.2f}" in main
    assert page.locator(".message", has_text="Job confirmed").is_visible()
    assert page.inner_text("[data-wallet-balance]") == "100.00"
    page.evaluate("window.stillTheSamePage = true")

    worker = start_worker(job_id, settings.MEDIA_ROOT)
    try:
        page.wait_for_selector('[data-field="status_label"].status-done', timeout=60_000)
    finally:
        stop(worker)

    charged = (ROWS - 1) * PRICE
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.inner_text('[data-field="status_label"]') == "done"
    assert page.inner_text('[data-field="rows_done"]') == str(ROWS)
    assert page.inner_text('[data-field="rows_failed"]') == "1"
    assert page.inner_text('[data-field="charged"]') == f"{charged / 100:.2f}"
    elapsed = page.inner_text('[data-field="elapsed"]')
    assert float(elapsed) > 0
    assert page.inner_text('[data-field="remaining"]') == NOTHING
    assert page.locator('[data-shown-by="held"]').is_hidden()
    assert page.locator(".message", has_text="Job confirmed").count() == 0
    balance = wallet_balance(user=funded_user).balance
    assert balance == 10_000 - charged
    assert page.inner_text("[data-wallet-balance]") == f"{balance / 100:.2f}"
    assert page.locator('[data-field="download"]').is_visible()
    assert page.locator('[data-field="cancel"]').is_hidden()
    assert page.errors == []
