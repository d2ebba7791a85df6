"""Error pages: the API answers in JSON with its common error body, the site in HTML."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from mlbilling.api_errors import error_body, is_api_request
from mlbilling.request_limits import body_too_large


def _api_error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(detail, code), status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Refused before any view ran (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a bad Host)."""
    if isinstance(exception, RequestDataTooBig):
        return body_too_large(request)
    if is_api_request(request):
        return _api_error(_("Bad request."), "bad_request", 400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path no route matches (e.g. /api/v1/predictions/not-a-uuid)."""
    if is_api_request(request):
        return _api_error(_("Not found."), "not_found", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return _api_error(_("Server error."), "server_error", 500)
    return defaults.server_error(request)
