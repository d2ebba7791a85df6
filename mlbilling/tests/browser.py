"""What the browser tests share: Debian's Chromium and a page in it, logging in, a model
promoted in seconds, a CSV. A plugin of the root conftest (for `browser_page`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from accounts.tests.factories import DEFAULT_PASSWORD
from predictions.ml.cases import get_case
from predictions.ml.figures import drawn_in_every_language
from predictions.models import ModelVersion
from predictions.registry.services import model_version_promote, model_version_register
from predictions.registry.training import training_data_sample

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# The marks of a test that drives Chromium against the live server.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
    pytest.mark.django_db(transaction=True),
    # The live server serves static files from the finders, not a collected STATIC_ROOT.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def browser_page(live_server, monkeypatch) -> Iterator:
    """A page of a headless Chromium on the live server; `page.errors` collects its console
    errors and uncaught exceptions."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes between browser steps are plain synchronous ones.
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
        # Under the running loop the ORM keeps its connection per context: close it, or
        # the test database cannot be dropped at the end.
        connections.close_all()


def log_in(page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/auth/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    page.click('main button[type="submit"]')
    page.wait_for_url(lambda url: "/auth/login/" not in url)


def promoted_on_a_sample(slug: str, rows: int = 300, *, figures: bool = False) -> ModelVersion:
    """Case `slug` fitted on `rows` rows and promoted (seconds; the full training with its
    evaluation is train_models' own test). With `figures`, its card gets the case's EDA
    figures, drawn from the sample in every language as training draws them."""
    case = get_case(slug)
    data = training_data_sample(case.load_training_data(settings.DATASETS_DIR), rows)
    with tempfile.TemporaryDirectory() as folder:
        drawn = (
            drawn_in_every_language(
                lambda: [{**f, "kind": "eda"} for f in case.eda_figures(data, Path(folder))]
            )
            if figures
            else []
        )
        version = model_version_register(
            case=case,
            model=case.fit_production(data),
            metrics={"production": {}},
            figures_dir=Path(folder),
            figures=drawn,
        )
    return model_version_promote(version_id=version.pk)


def batch_csv(path: Path, rows: int, slug: str = "nhanes-age") -> Path:
    """A CSV of `rows` copies of the case's example row."""
    example = get_case(slug).example
    lines = [",".join(example)]
    lines += [",".join(str(value) for value in example.values()) for _ in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path
