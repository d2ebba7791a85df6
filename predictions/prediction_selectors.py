"""Reads for the prediction API and pages: the model catalogue and a user's predictions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet

from predictions.cases import UnknownCase
from predictions.models import Prediction
from predictions.registry import ModelListing, model_list


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
