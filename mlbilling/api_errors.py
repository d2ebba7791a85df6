"""The one place where errors become HTTP answers, for the whole API.

Every error body has the same shape: {"detail": message, "code": machine-readable code,
"errors": {field: messages}} plus, for some codes, what a client needs to act on it
(402 carries "needed", "balance" and "available"; failed and refused predictions carry
the "prediction" id). Domain errors say their own code and status (`DomainError`), so
this module knows no app; DRF's own exceptions and field errors take the same shape.
Registered as REST_FRAMEWORK["EXCEPTION_HANDLER"].
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mlbilling.errors import DomainError


def is_api_request(request: HttpRequest) -> bool:
    """Answers under /api/ are JSON in the common error body, even those no view made."""
    return request.path.startswith("/api/")


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer, as the OpenAPI document publishes it (`Error`)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(help_text="Field -> messages; rows under inputs.<index>.")


def error_body(detail: str, code: str, errors: Any = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or {}, **extra}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors and DRF's own exceptions to the common error body."""
    if isinstance(exc, DomainError):
        body = error_body(exc.detail(), exc.code, exc.field_errors(), **exc.extra())
        return Response(body, status=exc.status_code, headers=exc.headers())
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc.detail, dict):
        body = error_body(_("Invalid input."), "invalid", errors=exc.detail)
    elif isinstance(exc.detail, list):
        body = error_body(_("Invalid input."), "invalid", errors={"non_field_errors": exc.detail})
    else:
        body = error_body(str(exc.detail), getattr(exc.detail, "code", exc.default_code))
    response.data = body
    return response
