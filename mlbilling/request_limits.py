"""Bodies refused before any view reads them, with an answer that says why.

Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE only when something reads
`request.body`, and then as a bare 400; a chunked body (no Content-Length) reads as
empty, so the view complained about missing fields. Both are told apart here: 413
naming the limit, 411 asking for a length.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from mlbilling.api_errors import error_body, is_api_request

LIMIT_SETTING = "DATA_UPLOAD_MAX_MEMORY_SIZE"


def _answer(request: HttpRequest, body: dict, status: int) -> HttpResponse:
    if is_api_request(request):
        return JsonResponse(body, status=status)
    return HttpResponse(body["detail"], status=status, content_type="text/plain; charset=utf-8")


def length_required(request: HttpRequest) -> HttpResponse:
    message = _("Send the body with a Content-Length header; chunked bodies are not accepted.")
    return _answer(request, error_body(message, "length_required"), 411)


def body_too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = _(
        "The request body is larger than %(limit)d bytes (%(setting)s); send fewer rows "
        "per request or use a CSV batch."
    ) % {"limit": limit, "setting": LIMIT_SETTING}
    body = error_body(message, "request_too_large", limit=limit, setting=LIMIT_SETTING)
    return _answer(request, body, 413)


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class RequestBodyLimitMiddleware:
    """411 for a body without a length, 413 for a non-file body over the limit.

    Multipart bodies carry files, which Django streams to disk and the batch upload
    limits itself (BATCH_MAX_UPLOAD_BYTES), so only their declared length is trusted here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request)
        if length is None and "HTTP_TRANSFER_ENCODING" in request.META:
            return length_required(request)
        multipart = request.content_type.startswith("multipart/")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length is not None and limit is not None and length > limit and not multipart:
            return body_too_large(request)
        return self.get_response(request)
