"""schemathesis against the WSGI application: every operation of /api/schema/, called by
an authenticated user holding credits, answers without a 5xx and as the schema says.

Runs on the test database (no server). Bounded: at most 25 random examples per operation,
derandomised so CI sees the same cases every run.
"""

from __future__ import annotations

import json
import warnings

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer as JSONRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from billing.services.wallets import wallet_grant

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _served_schema() -> dict:
    """The schema /api/schema/ serves (built here: collection may not make requests)."""
    return json.loads(
        JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    )


# The per-model predict operations need trained models, which the test database has not
# (every call would be a 503 model_unavailable): bin/api-client-check runs schemathesis on
# them against a live server with the six models trained, in CI.
schema = schemathesis.openapi.from_dict(_served_schema()).exclude(path_regex=r"/predict$")
with warnings.catch_warnings():
    # Tests serve static files from the finders (root conftest), not a collected STATIC_ROOT.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _wsgi_in_the_test_transaction(db, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    # Requests go through the WSGI handler in this thread, inside the test's transaction:
    # the end-of-request hook would close that connection (Django's test client avoids
    # it by the same disconnection).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db) -> str:
    user = UserFactory()
    wallet_grant(user=user, amount=1_000_000, reason="schemathesis funds")
    _token, key = api_token_create(user=user, name="schemathesis")
    return key


@schema.parametrize()
@settings(
    max_examples=25,
    # Random generation only: schemathesis's coverage cases (run in the explicit phase)
    # took over two minutes on the prediction endpoint's per-case bodies alone.
    phases=[Phase.generate, Phase.shrink],
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, token):
    # Throttles count in the cache; fuzzing is not an abuse to throttle.
    cache.clear()
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
