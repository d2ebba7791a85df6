"""A lost database connection answers 503 (try again), not 500 (our bug)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from mlbilling.api_errors import error_body, is_api_request

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """Turns OperationalError/InterfaceError escaping a view into a 503 with Retry-After.

    The failed transaction has rolled back by then, so nothing was half-written or
    charged: saying so lets a client retry (with its Idempotency-Key). The page is plain
    text because the site's templates query the database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "database unavailable during %s %s", request.method, request.path, exc_info=exception
        )
        message = _("The service is briefly unavailable; nothing was charged. Please try again.")
        if is_api_request(request):
            response: HttpResponse = JsonResponse(
                error_body(message, "database_unavailable"), status=503
            )
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
