"""/healthz and /readyz: the project's own checks and the registry's model check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from mlbilling import health
from predictions.registry.artifacts import load_model_cache_clear
from predictions.tests.factories import MLModelFactory

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_the_database_and_every_production_model_load(client, served):
    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["model:tiny"] == {"ok": True, "detail": f"v{served.version}"}
    assert body["checks"]["database"]["ok"] is True


def test_readyz_is_503_when_an_active_model_has_no_production_version(client, served):
    MLModelFactory(slug="orphan")

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["model:orphan"]["ok"] is False
    assert "NoProductionVersion" in response.json()["checks"]["model:orphan"]["detail"]


def test_an_inactive_model_without_production_version_does_not_matter(client):
    MLModelFactory(slug="retired", is_active=False)

    assert client.get(reverse("readyz")).status_code == 200


def test_readyz_is_503_when_the_production_artifact_is_gone(client, served):
    load_model_cache_clear()
    served.artifact.storage.delete(served.artifact.name)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["model:tiny"]["ok"] is False


def test_readyz_is_503_when_the_database_fails(client, monkeypatch):
    class BrokenConnection:
        vendor = "postgresql"

        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": {"ok": False, "detail": "DatabaseError: connection refused"}},
    }


def test_readyz_is_503_when_tasks_wait_with_no_worker_taking_them(client, settings):
    settings.READYZ_WORKER_STALE_SECONDS = 60
    OrmQ.objects.create(key="mlbilling", payload="x", lock=timezone.now() - timedelta(minutes=5))

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_a_cluster_reporting_its_status_is_a_live_worker(client, settings, monkeypatch):
    settings.READYZ_WORKER_STALE_SECONDS = 60
    OrmQ.objects.create(key="mlbilling", payload="x", lock=timezone.now() - timedelta(minutes=5))
    monkeypatch.setattr(health.Stat, "get_all", staticmethod(lambda: ["cluster"]))

    response = client.get(reverse("readyz"))

    assert response.json()["checks"]["worker"] == {"ok": True, "detail": "1 cluster(s) reporting"}


def test_a_fresh_task_in_the_queue_is_not_a_dead_worker(client, settings):
    settings.READYZ_WORKER_STALE_SECONDS = 60
    OrmQ.objects.create(key="mlbilling", payload="x", lock=timezone.now())

    assert client.get(reverse("readyz")).status_code == 200
