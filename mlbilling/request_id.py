"""A request id on every log line: taken from X-Request-ID or generated, kept in a
context variable for the request's duration, echoed in the response header.

A context variable rather than a thread-local: it follows the request into async views.
It is cleared on `request_finished`, not when the middleware returns, because Django logs
4xx/5xx responses ("django.request") after the middleware chain has returned, and those
lines need the id most. Settings wire the middleware, the log filter and the formatter.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# A client-supplied id is logged verbatim: accept only a short, plain token so that it
# cannot forge log lines or fill the disk.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Connected here, not in an AppConfig: the project package is no app, and only
        # where this middleware sets ids is there one to clear. The uid makes each
        # handler's instance connect the same receiver once.
        request_finished.connect(clear_request_id, dispatch_uid="mlbilling-request-id")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get(HEADER, "")
        request_id = supplied if _SAFE_ID.match(supplied) else uuid.uuid4().hex
        request_id_var.set(request_id)
        request.request_id = request_id
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def clear_request_id(**_kwargs: object) -> None:
    """Receiver of `request_finished`: later lines of this thread belong to no request."""
    request_id_var.set("-")


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record so that formatters can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message (and the
    traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
