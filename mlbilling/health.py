"""Liveness and readiness: /healthz and /readyz.

The project's own checks (database, worker) live here; apps add theirs through the
READINESS_CHECKS setting (dotted paths of callables returning a list of `Check`), so this
package imports no app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django_q.models import OrmQ
from django_q.status import Stat

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


def readiness() -> list[Check]:
    """Every readiness check; without a database the others cannot run."""
    database = database_check()
    if not database.ok:
        return [database]
    checks = [database, worker_check()]
    for path in settings.READINESS_CHECKS:
        checks.extend(import_string(path)())
    return checks


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No database, so a database outage does not get
    every web process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, worker heartbeat and the apps' checks; 503 if any fails."""
    checks = readiness()
    ready = all(check.ok for check in checks)
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
        },
        status=200 if ready else 503,
    )
