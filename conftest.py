from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import translation

# Each app's shared fixtures; pytest reads pytest_plugins only in this root conftest.
pytest_plugins = [
    # First: the fixtures of the apps import it, and a plugin imported before it is
    # registered loses pytest's assertion rewriting.
    "mlbilling.tests.browser",
    "accounts.tests.fixtures",
    "billing.tests.fixtures",
    "predictions.tests.fixtures",
    "analytics.tests.fixtures",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests marked `postgres` need real row locks and concurrency: they run only when
    # DATABASE_URL points at PostgreSQL (CI runs both databases).
    if connections["default"].vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Login rate limits and API throttles count in the cache, which outlives a test: each
    # test starts at zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_language_left_active():
    # A request in Russian leaves Russian active in the thread: the tests after it, and
    # code outside a request, start in the default language again.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings) -> None:
    # Tests run with DEBUG off but without collectstatic: serve assets from the finders
    # instead of the manifest that only collectstatic writes.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_AUTOREFRESH = True
