"""Reads for the prediction API and pages: the model catalogue and a user's predictions."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from billing.models import Account
from predictions.ml.cases import UnknownCase
from predictions.models import MLModel, ModelVersion, Prediction
from predictions.registry.selectors import ModelListing, model_list
from predictions.registry.training_status import not_ready_error


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


# Raw SQL, because building this query with the ORM (a join and three subqueries) cost more
# CPU than running the model. Only the columns serving needs are read; the version's other
# fields (metrics, card: large JSON) stay deferred and load if someone touches them.
_VERSION_COLUMNS = ["id", "model_id", "version", "artifact", "sha256", "status"]
_MODEL_COLUMNS = ["slug", "title", "price_per_row"]
_CONTEXT_SQL = f"""
SELECT {", ".join(f"v.{c}" for c in _VERSION_COLUMNS)},
       {", ".join(f"m.{c}" for c in _MODEL_COLUMNS)},
       w.balance, w.held,
       (SELECT p.id FROM {Prediction._meta.db_table} p
         WHERE p.user_id = %s AND p.idempotency_key = %s AND p.status = %s)
  FROM {ModelVersion._meta.db_table} v
  JOIN {MLModel._meta.db_table} m ON m.id = v.model_id
  LEFT JOIN {Account._meta.db_table} w ON w.user_id = %s
 WHERE m.slug = %s AND v.status = %s
"""  # noqa: S608 (table and column names are ours; every value is a parameter)


def prediction_context(*, user: Any, slug: str, idempotency_key: str | None) -> PredictionContext:
    """The production version of `slug`, the user's wallet and an earlier success with
    the same key, in one query; raises `NoProductionVersion`.

    This is `registry.production_version` + `billing.selectors.wallet_balance` + the
    idempotency lookup folded together: on the hot path every round trip to the database
    costs as much as the model itself (bench/api.py). The wallet is only read here (no
    lock); the guarded debit in `billing.services.wallets.wallet_charge` is what decides.
    """
    succeeded, production = Prediction.Status.SUCCEEDED, ModelVersion.Status.PRODUCTION
    with connection.cursor() as cursor:
        cursor.execute(
            _CONTEXT_SQL, [user.pk, idempotency_key, succeeded, user.pk, slug, production]
        )
        row = cursor.fetchone()
    if row is None:
        raise not_ready_error(slug)
    version_values = row[: len(_VERSION_COLUMNS)]
    model_values = row[len(_VERSION_COLUMNS) : len(_VERSION_COLUMNS) + len(_MODEL_COLUMNS)]
    wallet_balance, wallet_held, earlier_id = row[-3:]
    version = ModelVersion.from_db(connection.alias, _VERSION_COLUMNS, version_values)
    version.model = MLModel.from_db(
        connection.alias, ["id", *_MODEL_COLUMNS], [version.model_id, *model_values]
    )
    balance = wallet_balance or 0
    return PredictionContext(
        version=version,
        balance=balance,
        available=balance - (wallet_held or 0),
        earlier_id=uuid.UUID(str(earlier_id)) if earlier_id else None,
    )
