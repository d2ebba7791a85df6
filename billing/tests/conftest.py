from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from billing.services.wallets import wallet_grant


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
