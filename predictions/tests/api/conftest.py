"""In the API tests `client` is an API client logged in as a user with 100.00 credits."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def client(funded_user) -> APIClient:
    api = APIClient()
    api.force_authenticate(funded_user)
    return api
