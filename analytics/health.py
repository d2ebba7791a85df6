"""Liveness and readiness checks for /healthz and /readyz."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django_q.models import OrmQ
from django_q.status import Stat

from predictions.models import MLModel
from predictions.registry.artifacts import load_model
from predictions.registry.errors import RegistryError
from predictions.registry.selectors import production_version

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return Check("database", False, f"{type(exc).__name__}: {exc}")
    return Check("database", True, connection.vendor)


def worker_check() -> Check:
    """A django-q2 cluster is alive: it reports its Stat (shared cache or Redis), or, with
    the ORM broker, no task has waited longer than READYZ_WORKER_STALE_SECONDS (an idle
    queue proves nothing either way, so it passes)."""
    try:
        clusters = Stat.get_all()
    except Exception:  # a broker that cannot be reached is reported, not raised
        logger.exception("django-q2 cluster status unavailable")
        clusters = []
    if clusters:
        return Check("worker", True, f"{len(clusters)} cluster(s) reporting")
    if "orm" not in settings.Q_CLUSTER:
        return Check("worker", False, "no cluster reporting")
    stale = timezone.now() - timedelta(seconds=settings.READYZ_WORKER_STALE_SECONDS)
    waiting = OrmQ.objects.filter(lock__lt=stale).count()
    if waiting:
        return Check(
            "worker",
            False,
            f"{waiting} task(s) waiting over {settings.READYZ_WORKER_STALE_SECONDS} s: "
            "no worker is taking them",
        )
    return Check("worker", True, "no task waiting too long")


def model_checks() -> list[Check]:
    """The production version of each active model can be loaded (and is then cached in
    this process, so the first prediction after a deploy does not pay for it)."""
    checks = []
    for slug in MLModel.objects.filter(is_active=True).values_list("slug", flat=True):
        try:
            version = production_version(slug=slug)
            load_model(version)
        except RegistryError as exc:
            checks.append(Check(f"model:{slug}", False, f"{type(exc).__name__}: {exc}"))
        except Exception as exc:  # an unloadable artifact must show here, not crash /readyz
            logger.exception("Model %s failed to load", slug)
            checks.append(Check(f"model:{slug}", False, f"{type(exc).__name__}: {exc}"))
        else:
            checks.append(Check(f"model:{slug}", True, f"v{version.version}"))
    return checks


def readiness() -> list[Check]:
    """Every readiness check; without a database the others cannot run."""
    database = database_check()
    if not database.ok:
        return [database]
    return [database, worker_check(), *model_checks()]
