"""Reads for the prediction API and pages: the model catalogue and a user's predictions."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Subquery

from billing.models import Account
from predictions.cases import UnknownCase
from predictions.models import ModelVersion, Prediction
from predictions.registry import ModelListing, NoProductionVersion, model_list


def model_catalog_entry(*, slug: str) -> ModelListing:
    """One active model by slug, as `registry.model_list` shows it; raises `UnknownCase`."""
    for listing in model_list():
        if listing.model.slug == slug:
            return listing
    raise UnknownCase(slug)


def prediction_list(
    *,
    user: Any,
    model: str | None = None,
    status: str | None = None,
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
) -> QuerySet[Prediction]:
    """The user's own predictions, newest first, filtered by model slug, status and dates
    (both ends inclusive, in the current time zone)."""
    queryset = Prediction.objects.filter(user=user).select_related("model_version__model")
    if model:
        queryset = queryset.filter(model_version__model__slug=model)
    if status:
        queryset = queryset.filter(status=status)
    if created_from:
        queryset = queryset.filter(created_at__date__gte=created_from)
    if created_to:
        queryset = queryset.filter(created_at__date__lte=created_to)
    return queryset.order_by("-created_at")


def prediction_get(*, user: Any, prediction_id: uuid.UUID | str) -> Prediction:
    """One of the user's own predictions; another user's raises `Prediction.DoesNotExist`
    exactly like a missing one, so ids of others cannot be probed."""
    return Prediction.objects.select_related("model_version__model").get(
        user=user, pk=prediction_id
    )


@dataclass(frozen=True)
class PredictionContext:
    """What a paid prediction must know before it runs, read in one round trip."""

    version: ModelVersion  # the production version, its `model` loaded
    balance: int
    available: int
    earlier_id: uuid.UUID | None  # the success that already spent the Idempotency-Key


def prediction_context(*, user: Any, slug: str, idempotency_key: str | None) -> PredictionContext:
    """The production version of `slug`, the user's wallet and an earlier success with
    the same key, in one query; raises `NoProductionVersion`.

    This is `registry.production_version` + `billing.selectors.wallet_balance` + the
    idempotency lookup folded together: on the hot path every round trip to the database
    costs as much as the model itself (bench/api.py). The wallet is only read here (no
    lock); the guarded debit in `billing.services.wallet_charge` is what decides.
    """
    wallet = Account.objects.filter(user=user)
    versions = (
        ModelVersion.objects.select_related("model")
        .filter(model__slug=slug, status=ModelVersion.Status.PRODUCTION)
        .annotate(
            wallet_balance=Subquery(wallet.values("balance")[:1]),
            wallet_held=Subquery(wallet.values("held")[:1]),
        )
    )
    if idempotency_key:
        earlier = Prediction.objects.filter(
            user=user, idempotency_key=idempotency_key, status=Prediction.Status.SUCCEEDED
        )
        versions = versions.annotate(earlier_id=Subquery(earlier.values("pk")[:1]))
    version = versions.first()
    if version is None:
        raise NoProductionVersion(slug)
    balance = version.wallet_balance or 0
    return PredictionContext(
        version=version,
        balance=balance,
        available=balance - (version.wallet_held or 0),
        earlier_id=getattr(version, "earlier_id", None),
    )
