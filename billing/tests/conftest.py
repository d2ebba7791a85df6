from __future__ import annotations

import pytest
from django.db import connection

from billing.services import wallet_grant
from billing.tests.factories import UserFactory


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Real row locks and concurrent connections need PostgreSQL; SQLite serialises writers.
    skip = pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (real concurrency)"
    )
    for item in items:
        if "postgres" in item.keywords and "billing" in str(item.path):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _plain_static_files(settings) -> None:
    # Tests run with DEBUG off, where the manifest storage needs `collectstatic` first.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def funded_user(user):
    """A user holding 100.00 credits."""
    wallet_grant(user=user, amount=10_000, reason="test funds")
    return user


@pytest.fixture
def api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client
