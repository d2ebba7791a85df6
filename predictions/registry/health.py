"""The registry's readiness check for /readyz (listed in settings.READINESS_CHECKS)."""

from __future__ import annotations

import logging

from mlbilling.health import Check
from predictions.models import MLModel
from predictions.registry.artifacts import load_model
from predictions.registry.errors import ModelTraining, RegistryError
from predictions.registry.selectors import production_version

logger = logging.getLogger(__name__)


def model_checks() -> list[Check]:
    """The production version of each active model can be loaded (and is then cached in
    this process, so the first prediction after a deploy does not pay for it). A model
    still training in the background does not hold the replica back: it answers 503 with
    Retry-After, and the other models serve."""
    checks = []
    for slug in MLModel.objects.filter(is_active=True).values_list("slug", flat=True):
        try:
            version = production_version(slug=slug)
            load_model(version)
        except ModelTraining as exc:
            checks.append(Check(f"model:{slug}", True, f"training, about {exc.seconds_left} s"))
        except RegistryError as exc:
            checks.append(Check(f"model:{slug}", False, f"{type(exc).__name__}: {exc}"))
        except Exception as exc:  # an unloadable artifact must show here, not crash /readyz
            logger.exception("Model %s failed to load", slug)
            checks.append(Check(f"model:{slug}", False, f"{type(exc).__name__}: {exc}"))
        else:
            checks.append(Check(f"model:{slug}", True, f"v{version.version}"))
    return checks
