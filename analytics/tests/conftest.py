from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts.tests.factories import UserFactory
from analytics.tests.factories import ModelVersionFactory


def utc(text: str) -> datetime:
    """An instant written in UTC, e.g. utc("2026-03-01 14:30")."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def tokyo(settings):  # type: ignore[no-untyped-def]
    """The site in Asia/Tokyo (UTC+9, no daylight saving): 15:00 UTC is already tomorrow."""
    settings.TIME_ZONE = "Asia/Tokyo"


@pytest.fixture
def alpha(db):  # type: ignore[no-untyped-def]
    """Version 1 of the model "alpha", in production."""
    return ModelVersionFactory(model__slug="alpha")


@pytest.fixture
def beta(db):  # type: ignore[no-untyped-def]
    return ModelVersionFactory(model__slug="beta")


@pytest.fixture
def staff_client(client):  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client
