"""The API's JSON parser: refuses what the database, the models or Python cannot hold.

DRF's own parser hands over anything `json.loads` accepts, so a NUL character reached
PostgreSQL (which refuses it in text and jsonb) after the model ran, a 401-digit integer
overflowed `float()`, and `[` nested 100,000 deep raised RecursionError: three 500s. Here
every body is checked once, before any view sees it, and refused with a 400 that names
the place (`inputs.0.age`) and, for nesting, the limit.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from mlbilling.errors import DomainError

# Integers beyond 64 bits are refused: no field of ours needs more, and a float cannot
# represent them (1e400 written out as digits overflows float()).
MAX_JSON_INTEGER = 2**63 - 1


class InvalidJsonValue(DomainError):
    """A value JSON allows but the service cannot store or compute with."""

    code = "invalid_value"
    status_code = 400

    def __init__(self, path: str, message: str) -> None:
        self.path = path or "body"
        self.message = message
        super().__init__(f"{self.path}: {message}")

    def detail(self) -> str:
        return _("Invalid input: %(what)s") % {"what": str(self)}

    def field_errors(self) -> dict[str, Any]:
        return {self.path: [self.message]}


class JsonTooDeep(DomainError):
    """Arrays and objects nested deeper than API_JSON_MAX_DEPTH."""

    code = "json_too_deep"
    status_code = 400

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            _("The JSON body is nested deeper than %(limit)d levels (API_JSON_MAX_DEPTH).")
            % {"limit": limit}
        )

    def extra(self) -> dict[str, Any]:
        return {"limit": self.limit}


def _refuse_constant(name: str) -> Any:
    raise ParseError(_("NaN and Infinity are not JSON."))


def _problem(value: Any) -> str | None:
    """Why a scalar cannot be accepted, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return _("NUL characters are not allowed.")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return _("Lone surrogate characters are not allowed.")
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int):
        if abs(value) > MAX_JSON_INTEGER:
            return _("The number is too large.")
    elif isinstance(value, float) and not math.isfinite(value):
        return _("The number is too large.")
    return None


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def check_json_value(data: Any, *, max_depth: int) -> None:
    """Raise for the first value (or key) that cannot be accepted, or nesting deeper than
    `max_depth`. Iterative, so its own depth costs no stack; a value's path is built
    only when it is refused (1,000 rows of 241 fields are checked in a fraction of the
    time `json.loads` took to read them)."""
    if not isinstance(data, dict | list):
        if problem := _problem(data):
            raise InvalidJsonValue("", problem)
        return
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        container, path, depth = stack.pop()
        if depth >= max_depth:
            raise JsonTooDeep(max_depth)
        if isinstance(container, dict):
            # All keys at once (JSON keys are strings): one scan instead of one per key.
            if problem := _problem("".join(container)):
                raise InvalidJsonValue(path, problem)
            items = container.items()
        else:
            items = enumerate(container)
        for key, item in items:
            if isinstance(item, dict | list):
                stack.append((item, _join(path, key), depth + 1))
            elif type(item) is int and -MAX_JSON_INTEGER <= item <= MAX_JSON_INTEGER:
                continue  # the common case, spared the call below
            elif problem := _problem(item):
                raise InvalidJsonValue(_join(path, key), problem)


def parse_json(text: str | bytes) -> Any:
    """Parse and check a JSON document as the API accepts it."""
    limit = settings.API_JSON_MAX_DEPTH
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        # The C decoder recurses once per level and stops at the interpreter's limit,
        # far beyond ours: too deep either way.
        raise JsonTooDeep(limit) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
    check_json_value(data, max_depth=limit)
    return data


class StrictJSONParser(JSONParser):
    """DRF's JSONParser with `parse_json`'s checks (REST_FRAMEWORK's first parser)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        return parse_json(text)
