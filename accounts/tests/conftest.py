from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    # Login rate limits and API throttles count in the cache; each test starts at zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
