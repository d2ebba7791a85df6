"""Reference endpoints for bench/api.py, mounted only by bench/urls.py (bench.settings).

They are yardsticks, not features: `bare` serves the model with nothing around it, and
`billed` adds the least a paid prediction needs (one guarded UPDATE of a wallet and one
INSERT of a record, in one transaction, raw SQL). No authentication, no validation: they
live outside the product so that no setting can mount them in production.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from billing.models import Account
from predictions.ml.cases import get_case
from predictions.models import ModelVersion, Prediction
from predictions.registry.artifacts import load_model
from predictions.registry.selectors import production_version

_served: dict[str, tuple[ModelVersion, Any]] = {}


def _model(slug: str) -> tuple[ModelVersion, Any]:
    # Looked up once per process: the yardstick must not pay for a registry query.
    if slug not in _served:
        version = production_version(slug=slug)
        _served[slug] = (version, load_model(version))
    return _served[slug]


def _predict(request: HttpRequest, slug: str) -> tuple[ModelVersion, list, list]:
    rows = json.loads(request.body)["inputs"]
    version, model = _model(slug)
    return version, rows, get_case(slug).predict(model, rows)


@csrf_exempt
def bare(request: HttpRequest, slug: str) -> HttpResponse:
    _version, _rows, results = _predict(request, slug)
    return JsonResponse({"results": results})


@csrf_exempt
def billed(request: HttpRequest, slug: str) -> HttpResponse:
    version, rows, results = _predict(request, slug)
    balance = raw_charge_and_record(int(request.GET["user"]), version, rows, results)
    if balance is None:
        return JsonResponse({"detail": "Not enough credits."}, status=402)
    return JsonResponse({"results": results, "balance": balance})


def raw_charge_and_record(
    user_id: int, version: ModelVersion, rows: list, results: list
) -> int | None:
    """The least a paid prediction needs: one guarded UPDATE of the wallet and one INSERT
    of the record, in one transaction; the balance after, or None when it cannot pay.
    bench/api.py's in-process floor calls it too."""
    cost = version.model.price_per_row * len(rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Account._meta.db_table} SET balance = balance - %s "
            "WHERE user_id = %s AND balance - held >= %s RETURNING balance",
            [cost, user_id, cost],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(
            f"INSERT INTO {Prediction._meta.db_table} (id, user_id, model_version_id, source, "
            "status, rows, inputs, outputs, cost, balance_after, latency_ms, request_hash, "
            "error, created_at) VALUES (%s, %s, %s, 'api', 'succeeded', %s, %s, %s, %s, %s, "
            "0, '', '', %s)",
            [
                uuid.uuid4(),
                user_id,
                version.pk,
                len(rows),
                json.dumps(rows),
                json.dumps(results),
                cost,
                row[0],
                timezone.now(),
            ],
        )
    return row[0]
