"""Writes of the registry: cases registered, versions trained or uploaded, promoted and
rolled back. Every change of the production version locks the model row first."""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from predictions.ml.cases import get_case
from predictions.ml.cases.base import Case
from predictions.models import MLModel, ModelVersion
from predictions.registry.artifacts import (
    MAX_UPLOAD_BYTES,
    artifact_dumps,
    bundle_model,
    library_versions,
    schema_signature,
    version_dir,
)
from predictions.registry.errors import (
    InvalidArtifact,
    NoPreviousVersion,
    NoProductionVersion,
)

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
    model = bundle_model(bundle)
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
        stored = _figures_store(case.slug, number, figures_dir, figures)
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


def model_version_evaluated(
    *,
    version_id: int,
    metrics: dict[str, Any],
    figures_dir: Path | None,
    figures: Sequence[dict[str, Any]],
    card: dict[str, Any],
) -> ModelVersion:
    """Attach its evaluation to a version registered before it was judged: the metrics,
    the figures (the card's list; a version is registered without any) and the card's
    entries in `card`. The artifact is not touched: it serves meanwhile, its sha256 holds."""
    with transaction.atomic():
        version = (
            ModelVersion.objects.select_for_update().select_related("model").get(pk=version_id)
        )
        stored = _figures_store(version.model.slug, version.version, figures_dir, figures)
        version.metrics = metrics
        version.card = {**version.card, **card, "figures": stored}
        version.save(update_fields=["metrics", "card"])
        return version


def model_version_card_update(*, version_id: int, **entries: Any) -> ModelVersion:
    """Set entries of a version's card (e.g. an evaluation that failed), keeping the rest."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        version.card = {**version.card, **entries}
        version.save(update_fields=["card"])
        return version


def _figures_store(
    slug: str, number: int, figures_dir: Path | None, figures: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Copy the figures from `figures_dir` into the version's folder; their card entries."""
    stored = []
    for figure in figures:
        assert figures_dir is not None, "figures need the folder they were written to"
        # Each language's drawing of the figure, under the name the storage gave it.
        names = {
            name: _figure_store(figures_dir / name, version_dir(slug, number))
            for name in {figure["file"], *figure.get("files", {}).values()}
        }
        entry = {**figure, "file": names[figure["file"]]}
        if "files" in figure:
            entry["files"] = {lang: names[name] for lang, name in figure["files"].items()}
        stored.append(entry)
    return stored


def _figure_store(path: Path, folder: str) -> str:
    """Copy a figure file into the version's folder; the name it was stored under."""
    with path.open("rb") as handle:
        return Path(default_storage.save(f"{folder}/{path.name}", File(handle))).name


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
