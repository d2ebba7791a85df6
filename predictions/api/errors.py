"""The one place where domain errors become HTTP answers, for the whole API.

Every error body has the same shape: {"detail": message, "code": machine-readable code,
"errors": {field: messages}} plus, for some codes, what a client needs to act on it
(402 carries "needed", "balance" and "available"; failed and refused predictions carry
the "prediction" id). DRF's own field errors take this shape too. Registered as
REST_FRAMEWORK["EXCEPTION_HANDLER"].
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from billing.errors import InsufficientCredits, PaymentsUnavailable
from billing.money import InvalidAmount, format_credits
from predictions.batch.csv_upload import BatchFileError
from predictions.batch.services import IdempotencyConflict as BatchIdempotencyConflict
from predictions.batch.services import ModelUnavailable
from predictions.ml.cases import UnknownCase
from predictions.ml.schema import SchemaError
from predictions.registry.errors import NoProductionVersion
from predictions.serving.services import (
    IdempotencyConflict,
    PredictionFailed,
    PredictionRefused,
)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors and DRF's own exceptions to the common error body."""
    domain = _domain_error(exc)
    if domain is not None:
        return domain
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc.detail, dict):
        body = _body(_("Invalid input."), "invalid", errors=exc.detail)
    elif isinstance(exc.detail, list):
        body = _body(_("Invalid input."), "invalid", errors={"non_field_errors": exc.detail})
    else:
        body = _body(str(exc.detail), getattr(exc.detail, "code", exc.default_code))
    response.data = body
    return response


def schema_errors(error: SchemaError) -> dict[str, Any]:
    """SchemaError -> {"inputs": {"<row>": {field: messages}}}, request-wide ones at the top."""
    errors: dict[str, Any] = {}
    for row, fields in sorted(error.errors.items()):
        if row < 0:
            errors.update(fields)
        else:
            errors.setdefault("inputs", {})[str(row)] = fields
    return errors


def _domain_error(exc: Exception) -> Response | None:
    if isinstance(exc, SchemaError):
        return _response(
            400,
            _("Invalid input: %(what)s") % {"what": exc.describe()},
            "invalid_input",
            errors=schema_errors(exc),
        )
    if isinstance(exc, InvalidAmount):
        return _response(400, str(exc), "invalid_amount")
    if isinstance(exc, PredictionRefused | InsufficientCredits):
        extra = {
            "needed": format_credits(exc.needed),
            "balance": format_credits(exc.balance),
            "available": format_credits(exc.available),
        }
        if isinstance(exc, PredictionRefused):
            extra["prediction"] = str(exc.prediction.id)
        return _response(402, str(exc), "insufficient_credits", **extra)
    if isinstance(exc, BatchFileError):
        return _response(
            400, _("The file cannot be processed."), "invalid_file", errors={"file": exc.messages}
        )
    if isinstance(exc, ModelUnavailable):
        return _response(400, str(exc), "model_unavailable", errors={"model": [str(exc)]})
    if isinstance(exc, IdempotencyConflict | BatchIdempotencyConflict):
        return _response(409, str(exc), "idempotency_key_reused")
    if isinstance(exc, PredictionFailed):
        return _response(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            str(exc),
            "model_failed",
            prediction=str(exc.prediction.id),
        )
    if isinstance(exc, PaymentsUnavailable):
        return _response(503, str(exc), "payments_unavailable")
    if isinstance(exc, UnknownCase):
        return _response(404, _("No such model."), "not_found")
    if isinstance(exc, NoProductionVersion):
        return _response(
            503, _("This model has no production version to serve yet."), "model_unavailable"
        )
    return None


def _body(detail: str, code: str, errors: Any = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or {}, **extra}


def _response(status_code: int, detail: str, code: str, errors: Any = None, **extra: Any):
    return Response(_body(detail, code, errors, **extra), status=status_code)
