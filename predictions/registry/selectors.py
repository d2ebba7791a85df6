"""Reads of the registry: which cases are on offer and which version serves each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from predictions.ml.cases import CASES, UnknownCase, get_case
from predictions.ml.cases.base import Case
from predictions.models import MLModel, ModelVersion
from predictions.registry.artifacts import version_dir
from predictions.registry.training_status import (
    TrainingStatus,
    not_ready_error,
    training_status,
)


@dataclass(frozen=True)
class ModelListing:
    """A case on offer, its MLModel and its production version (None until promoted).

    Before its first training a case has no MLModel row yet: `model` is then an unsaved
    one carrying the case's title and default price, so readers never meet None.
    """

    model: MLModel
    production: ModelVersion | None
    # Where its background training stands while it has no production version.
    training: TrainingStatus | None = None

    @property
    def case(self) -> Case:
        # Looked up when read: a list of the models (the landing page's) then imports no
        # case module, nor the ML stack they pull in.
        return get_case(self.model.slug)


def _listing(slug: str, model: MLModel | None, production: ModelVersion | None) -> ModelListing:
    if model is None:
        case = get_case(slug)
        model = MLModel(
            slug=slug,
            title=case.title,
            description=case.description,
            price_per_row=case.default_price,
        )
    training = None if production is not None else training_status(slug)
    return ModelListing(model=model, production=production, training=training)


# --- reads ----------------------------------------------------------------------------------


def production_version(*, slug: str) -> ModelVersion:
    """The version that serves `slug` now; raises `NoProductionVersion`."""
    version = (
        ModelVersion.objects.select_related("model")
        .filter(model__slug=slug, status=ModelVersion.Status.PRODUCTION)
        .first()
    )
    if version is None:
        raise not_ready_error(slug)
    return version


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
    for slug in CASES:
        model = models.get(slug)
        if model is not None and not model.is_active:
            continue
        shown = model.production_versions[0] if model and model.production_versions else None
        listings.append(_listing(slug, model, shown))
    return listings


def model_listing(*, slug: str) -> ModelListing:
    """One case on offer with its production version; raises `UnknownCase` when there is
    no such case or an operator deactivated it."""
    get_case(slug)  # raises UnknownCase
    model = MLModel.objects.filter(slug=slug).first()
    if model is not None and not model.is_active:
        raise UnknownCase(slug)
    shown = None
    if model is not None:
        shown = model.versions.filter(status=ModelVersion.Status.PRODUCTION).first()
    return _listing(slug, model, shown)


def figure_file(*, version: ModelVersion, name: str) -> str | None:
    """Storage name of a figure listed on the version's card, None for anything else."""
    for figure in version.card.get("figures", []):
        if name in {figure.get("file"), *figure.get("files", {}).values()}:
            return f"{version_dir(version.model.slug, version.version)}/{name}"
    return None


def figure_in_language(figure: dict[str, Any], language: str) -> str:
    """The file of a card figure drawn in `language`; versions trained before figures were
    drawn per language have one file."""
    return figure.get("files", {}).get(language, figure["file"])
