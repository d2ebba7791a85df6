"""Users with credits, shared with every app's tests through the root conftest."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from billing.services.wallets import wallet_grant


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def funded_user(user):
    """A user holding 100.00 credits."""
    wallet_grant(user=user, amount=10_000, reason="test funds")
    return user


@pytest.fixture
def api(user) -> APIClient:
    """An API client authenticated as `user`."""
    client = APIClient()
    client.force_authenticate(user)
    return client
