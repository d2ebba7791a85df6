"""Artifacts: the joblib bundle a fitted model is saved as, and its verified, cached load.

An artifact is a joblib file holding a bundle dict (`ARTIFACT_FORMAT`): the fitted model,
the case slug, the input schema it was trained for and its metrics. The file's sha256 is
recorded when the version is registered and checked before every unpickling, because
unpickling runs code: a file changed on disk is refused, not loaded.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import io
import platform
import threading
from collections import OrderedDict
from typing import Any

import joblib

from predictions.ml.cases.base import Case
from predictions.models import ModelVersion
from predictions.registry.errors import (
    ArtifactMissing,
    ArtifactTampered,
    InvalidArtifact,
)

ARTIFACT_FORMAT = "mlbilling-artifact/1"
# Loaded models kept per process; a few versions per case cover a rollback without
# keeping every archived model in memory forever.
CACHE_SIZE = 16
# An uploaded artifact is read into memory to be hashed and checked.
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def version_dir(slug: str, version: int) -> str:
    """The storage folder of a version's artifact and figures."""
    return f"models/{slug}/{version}"


# --- artifacts ------------------------------------------------------------------------------


def schema_signature(json_schema: dict[str, Any]) -> dict[str, Any]:
    """What a model depends on in a schema: names, types, ranges, choices — not the wording."""
    properties = {
        name: {k: v for k, v in prop.items() if k not in {"title", "description"}}
        for name, prop in json_schema.get("properties", {}).items()
    }
    return {"required": sorted(json_schema.get("required", [])), "properties": properties}


def library_versions() -> dict[str, str]:
    import numpy
    import pandas
    import sklearn
    import xgboost

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "xgboost": xgboost.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "joblib": joblib.__version__,
    }


def artifact_dumps(*, case: Case, model: Any, metrics: dict[str, Any] | None = None) -> bytes:
    """The bytes of an artifact file for `model` trained for `case` (also what admins upload)."""
    bundle = {
        "format": ARTIFACT_FORMAT,
        "case": case.slug,
        "model": model,
        "input_schema": case.schema.to_json_schema(),
        "feature_names": _feature_names(case, model),
        "metrics": metrics or {},
        "library_versions": library_versions(),
    }
    buffer = io.BytesIO()
    joblib.dump(bundle, buffer, compress=3)
    return buffer.getvalue()


def _feature_names(case: Case, model: Any) -> list[str] | None:
    try:
        return case.feature_names(model)
    except NotImplementedError:
        return None


def bundle_model(bundle: Any) -> Any:
    if not isinstance(bundle, dict) or bundle.get("format") != ARTIFACT_FORMAT:
        raise InvalidArtifact(f"Not an mlbilling artifact (expected format {ARTIFACT_FORMAT}).")
    return bundle["model"]


_cache: OrderedDict[int, Any] = OrderedDict()
_cache_lock = threading.Lock()


def load_model(version: ModelVersion) -> Any:
    """The fitted model of `version`, verified against its sha256 and cached per process.

    Raises `ArtifactTampered` (before unpickling) when the file changed, `ArtifactMissing`
    when it is gone.
    """
    # One lock for lookups and loads: a version is then unpickled once per process even
    # when many threads ask for it at the same moment (the first request after a deploy).
    with _cache_lock:
        if version.pk in _cache:
            _cache.move_to_end(version.pk)
            return _cache[version.pk]
        model = _load_verified(version)
        # The model lives as long as the process serves it: leave its objects (and
        # everything else alive now) out of the cyclic collector's walks. A full
        # collection walking them stalled every thread of a web worker for 190-250 ms
        # (bench/api.py); garbage a request leaves is collected as before.
        gc.freeze()
        _cache[version.pk] = model
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return model


def load_model_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def _load_verified(version: ModelVersion) -> Any:
    try:
        with version.artifact.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        raise ArtifactMissing(
            f"Artifact of {version.model.slug} v{version.version} is missing: "
            f"{version.artifact.name}."
        ) from None
    actual = hashlib.sha256(content).hexdigest()
    if not hmac.compare_digest(actual, version.sha256):
        raise ArtifactTampered(version, actual)
    try:
        # Unpickle the very bytes that were hashed, so the file cannot change in between.
        bundle = joblib.load(io.BytesIO(content))
    except (ModuleNotFoundError, AttributeError) as exc:
        # A pickle names the model's classes by module path: an artifact trained before the
        # code moved names a path that is gone. Retraining writes one this code can read.
        slug = version.model.slug
        raise InvalidArtifact(
            f"Artifact of {slug} v{version.version} names code that is no longer here "
            f"({exc}); retrain it: manage.py train_models --case {slug}."
        ) from exc
    return bundle_model(bundle)
