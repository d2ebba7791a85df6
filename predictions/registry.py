"""The model registry: which artifact serves each case, and how it is loaded safely.

An artifact is a joblib file holding a bundle dict (`ARTIFACT_FORMAT`): the fitted model,
the case slug, the input schema it was trained for and its metrics. The file's sha256 is
recorded when the version is registered and checked before every unpickling, because
unpickling runs code: a file changed on disk is refused, not loaded.

Reads: `production_version`, `load_model`, `model_list`, `model_listing`.
Writes: `model_version_register`, `model_version_upload`, `model_version_promote`,
`model_version_rollback`.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import platform
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from predictions.cases import CASES, UnknownCase, get_case
from predictions.cases.base import Case
from predictions.models import MLModel, ModelVersion

ARTIFACT_FORMAT = "mlbilling-artifact/1"
# Loaded models kept per process; a few versions per case cover a rollback without
# keeping every archived model in memory forever.
CACHE_SIZE = 16
# An uploaded artifact is read into memory to be hashed and checked.
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class RegistryError(Exception):
    """Base of the registry's domain errors."""


class NoProductionVersion(RegistryError):
    def __init__(self, slug: str) -> None:
        super().__init__(_("Model '%(slug)s' has no production version yet.") % {"slug": slug})
        self.slug = slug


class NoPreviousVersion(RegistryError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"Model {slug!r} has no earlier archived version to roll back to.")
        self.slug = slug


class ArtifactTampered(RegistryError):
    """The artifact's bytes differ from the sha256 recorded at registration."""

    def __init__(self, version: ModelVersion, actual: str) -> None:
        super().__init__(
            f"Artifact of {version.model.slug} v{version.version} does not match its recorded "
            f"sha256 (recorded {version.sha256[:12]}..., found {actual[:12]}...): refused."
        )


class ArtifactMissing(RegistryError):
    pass


class InvalidArtifact(RegistryError):
    """An uploaded artifact that cannot serve its case; the message is for the operator."""


@dataclass(frozen=True)
class ModelListing:
    """A case on offer, its MLModel and its production version (None until promoted).

    Before its first training a case has no MLModel row yet: `model` is then an unsaved
    one carrying the case's title and default price, so readers never meet None.
    """

    case: Case
    model: MLModel
    production: ModelVersion | None


def _listing(case: Case, model: MLModel | None, production: ModelVersion | None) -> ModelListing:
    if model is None:
        model = MLModel(
            slug=case.slug,
            title=case.title,
            description=case.description,
            price_per_row=case.default_price,
        )
    return ModelListing(case=case, model=model, production=production)


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


def _bundle_model(bundle: Any) -> Any:
    if not isinstance(bundle, dict) or bundle.get("format") != ARTIFACT_FORMAT:
        raise InvalidArtifact(f"Not an mlbilling artifact (expected format {ARTIFACT_FORMAT}).")
    return bundle["model"]


# --- reads ----------------------------------------------------------------------------------


def production_version(*, slug: str) -> ModelVersion:
    """The version that serves `slug` now; raises `NoProductionVersion`."""
    version = (
        ModelVersion.objects.select_related("model")
        .filter(model__slug=slug, status=ModelVersion.Status.PRODUCTION)
        .first()
    )
    if version is None:
        raise NoProductionVersion(slug)
    return version


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
    # Unpickle the very bytes that were hashed, so the file cannot change in between.
    return _bundle_model(joblib.load(io.BytesIO(content)))


def model_list() -> list[ModelListing]:
    """Every registered case except those an operator deactivated, in registry order."""
    production = Prefetch(
        "versions",
        queryset=ModelVersion.objects.filter(status=ModelVersion.Status.PRODUCTION),
        to_attr="production_versions",
    )
    models = {
        m.slug: m for m in MLModel.objects.filter(slug__in=list(CASES)).prefetch_related(production)
    }
    listings = []
    for slug, case in CASES.items():
        model = models.get(slug)
        if model is not None and not model.is_active:
            continue
        shown = model.production_versions[0] if model and model.production_versions else None
        listings.append(_listing(case, model, shown))
    return listings


def model_listing(*, slug: str) -> ModelListing:
    """One case on offer with its production version; raises `UnknownCase` when there is
    no such case or an operator deactivated it."""
    case = get_case(slug)
    model = MLModel.objects.filter(slug=slug).first()
    if model is not None and not model.is_active:
        raise UnknownCase(slug)
    shown = None
    if model is not None:
        shown = model.versions.filter(status=ModelVersion.Status.PRODUCTION).first()
    return _listing(case, model, shown)


def figure_file(*, version: ModelVersion, name: str) -> str | None:
    """Storage name of a figure listed on the version's card, None for anything else."""
    for figure in version.card.get("figures", []):
        if figure.get("file") == name:
            return f"{_version_dir(version.model.slug, version.version)}/{name}"
    return None


# --- writes ---------------------------------------------------------------------------------


def model_ensure(*, case: Case) -> MLModel:
    """The case's MLModel row, created with the case's default price on first use."""
    model, _created = MLModel.objects.get_or_create(
        slug=case.slug,
        defaults={
            "title": case.title,
            "description": case.description,
            "price_per_row": case.default_price,
        },
    )
    return model


def model_version_register(
    *,
    case: Case,
    model: Any,
    metrics: dict[str, Any],
    figures_dir: Path | None = None,
    figures: Sequence[dict[str, str]] = (),
    data_fingerprint: str = "",
    card: dict[str, Any] | None = None,
    trained_at: Any = None,
) -> ModelVersion:
    """Store a fitted model as the next candidate version of its case.

    Writes the artifact (sha256 recorded), copies the card's figures from `figures_dir`
    into the version's folder and records them with `card`. Promotion is a separate step.
    """
    content = artifact_dumps(case=case, model=model, metrics=metrics)
    return _version_create(
        case=case,
        content=content,
        metrics=metrics,
        library=library_versions(),
        figures_dir=figures_dir,
        figures=figures,
        data_fingerprint=data_fingerprint,
        card=card or {},
        trained_at=trained_at or timezone.now(),
    )


def model_version_upload(*, slug: str, content: bytes) -> ModelVersion:
    """Register an artifact made elsewhere, as a candidate, once it proves it can serve.

    It must unpickle as an mlbilling artifact for `slug`, declare the case's current input
    schema (names, types, ranges, choices) and predict the case's example. Uploading means
    unpickling, which runs code: only staff may call this (the admin checks).
    """
    case = get_case(slug)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidArtifact(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
    try:
        bundle = joblib.load(io.BytesIO(content))
    except Exception as exc:  # any unpickling failure means "not an artifact"
        raise InvalidArtifact(f"The file does not load with joblib: {exc}") from exc
    model = _bundle_model(bundle)
    if bundle.get("case") != slug:
        raise InvalidArtifact(f"The artifact was made for {bundle.get('case')!r}, not {slug!r}.")
    if schema_signature(bundle.get("input_schema", {})) != schema_signature(
        case.schema.to_json_schema()
    ):
        raise InvalidArtifact(
            "The artifact's input schema differs from the case's current schema "
            "(field names, types, ranges or choices)."
        )
    try:
        results = case.predict(model, case.schema.validate_rows([case.example]))
    except Exception as exc:  # the model is foreign code: any failure refuses it
        raise InvalidArtifact(f"The artifact cannot predict the case's example: {exc!r}") from exc
    if len(results) != 1 or not isinstance(results[0], dict):
        raise InvalidArtifact("The artifact did not return one result for the example row.")
    return _version_create(
        case=case,
        content=content,
        metrics=bundle.get("metrics") or {},
        library=bundle.get("library_versions") or {},
        figures_dir=None,
        figures=(),
        data_fingerprint="",
        card={"uploaded": True},
        trained_at=timezone.now(),
    )


def _version_dir(slug: str, version: int) -> str:
    return f"models/{slug}/{version}"


def _version_create(
    *,
    case: Case,
    content: bytes,
    metrics: dict[str, Any],
    library: dict[str, str],
    figures_dir: Path | None,
    figures: Sequence[dict[str, str]],
    data_fingerprint: str,
    card: dict[str, Any],
    trained_at: Any,
) -> ModelVersion:
    model = model_ensure(case=case)
    with transaction.atomic():
        # The model row lock makes "next version number" safe between two trainers.
        MLModel.objects.select_for_update().get(pk=model.pk)
        last = model.versions.order_by("-version").values_list("version", flat=True).first()
        number = (last or 0) + 1
        artifact_name = default_storage.save(
            f"models/{case.slug}/{number}-{secrets.token_hex(8)}.joblib", ContentFile(content)
        )
        stored = []
        for figure in figures:
            assert figures_dir is not None, "figures need the folder they were written to"
            with (figures_dir / figure["file"]).open("rb") as handle:
                saved = default_storage.save(
                    f"{_version_dir(case.slug, number)}/{figure['file']}", File(handle)
                )
            stored.append({**figure, "file": Path(saved).name})
        return ModelVersion.objects.create(
            model=model,
            version=number,
            artifact=artifact_name,
            sha256=hashlib.sha256(content).hexdigest(),
            metrics=metrics,
            input_schema=case.schema.to_json_schema(),
            library_versions=library,
            data_fingerprint=data_fingerprint,
            trained_at=trained_at,
            card={**card, "figures": stored},
        )


def model_version_promote(*, version_id: int) -> ModelVersion:
    """Make a version the one that serves its model; the previous one becomes archived."""
    with transaction.atomic():
        model_id = ModelVersion.objects.values_list("model_id", flat=True).get(pk=version_id)
        # Always lock the model row first: promotions and rollbacks of one model queue up.
        MLModel.objects.select_for_update().get(pk=model_id)
        target = ModelVersion.objects.select_for_update().get(pk=version_id)
        return _make_production(target)


def model_version_rollback(*, slug: str) -> ModelVersion:
    """Serve the archived version just below the current production one again."""
    with transaction.atomic():
        model = MLModel.objects.select_for_update().get(slug=slug)
        current = model.versions.filter(status=ModelVersion.Status.PRODUCTION).first()
        if current is None:
            raise NoProductionVersion(slug)
        previous = (
            model.versions.select_for_update()
            .filter(status=ModelVersion.Status.ARCHIVED, version__lt=current.version)
            .order_by("-version")
            .first()
        )
        if previous is None:
            raise NoPreviousVersion(slug)
        return _make_production(previous)


def _make_production(target: ModelVersion) -> ModelVersion:
    if target.status == ModelVersion.Status.PRODUCTION:
        return target
    # Archive first: the partial unique index admits one production row at any moment.
    ModelVersion.objects.filter(
        model_id=target.model_id, status=ModelVersion.Status.PRODUCTION
    ).update(status=ModelVersion.Status.ARCHIVED)
    target.status = ModelVersion.Status.PRODUCTION
    target.promoted_at = timezone.now()
    target.save(update_fields=["status", "promoted_at"])
    return target


__all__ = [
    "ArtifactMissing",
    "ArtifactTampered",
    "InvalidArtifact",
    "NoPreviousVersion",
    "NoProductionVersion",
    "RegistryError",
    "UnknownCase",
    "load_model",
    "model_version_promote",
    "model_version_register",
    "model_version_rollback",
    "model_version_upload",
    "production_version",
]
