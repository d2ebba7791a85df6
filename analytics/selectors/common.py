"""Shared pieces of the report queries: outcomes, models, and how a transfer counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import BigIntegerField, Case, Count, F, Q, When
from django.utils.translation import gettext as _

from analytics.tables import Column
from billing.models import TransferKind
from predictions.ml.cases import in_catalogue_order
from predictions.models import MLModel, Prediction

STATUSES = [choice.value for choice in Prediction.Status]
SPENDING_KINDS = [TransferKind.CHARGE, TransferKind.HOLD_CAPTURE, TransferKind.REFUND]


def status_counts() -> dict[str, Any]:
    return {status: Count("pk", filter=Q(status=status)) for status in STATUSES}


def with_total(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "total": sum(row[status] for status in STATUSES)}


def status_columns() -> list[Column]:
    return [
        Column("succeeded", _("Succeeded"), "int"),
        Column("failed", _("Failed"), "int"),
        Column("refused", _("Refused"), "int"),
        Column("total", _("Total"), "int"),
    ]


def model_slugs(*, also: Iterable[str] = ()) -> list[str]:
    """Every model's slug (a model without activity shows as zeros), and any in `also`, in
    the catalogue's order."""
    return in_catalogue_order({*MLModel.objects.values_list("slug", flat=True), *also})


def signed_to_wallet() -> Case:
    """The amount as the wallet sees it: positive in, negative out."""
    return Case(
        When(credit_id=F("wallet_id"), then=F("amount")),
        default=-F("amount"),
        output_field=BigIntegerField(),
    )


def spending_amount() -> Case:
    """What a movement adds to spending: a charge or capture counts, a refund takes back."""
    return Case(
        When(kind=TransferKind.REFUND, then=-F("amount")),
        default=F("amount"),
        output_field=BigIntegerField(),
    )
