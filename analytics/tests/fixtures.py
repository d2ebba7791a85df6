"""Models and time zones of the analytics tests, registered in the root conftest; `utc` writes
their instants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from predictions.tests.factories import ModelVersionFactory


def utc(text: str) -> datetime:
    """An instant written in UTC, e.g. utc("2026-03-01 14:30")."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def tokyo(settings):
    """The site in Asia/Tokyo (UTC+9, no daylight saving): 15:00 UTC is already tomorrow."""
    settings.TIME_ZONE = "Asia/Tokyo"


@pytest.fixture
def alpha(db):
    """Version 1 of the model "alpha", in production."""
    return ModelVersionFactory(model__slug="alpha")


@pytest.fixture
def beta(db):
    return ModelVersionFactory(model__slug="beta")
