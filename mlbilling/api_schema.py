"""The statuses every API operation can answer, written into the OpenAPI document.

Views document what is theirs (201, 402, 409, ...); what the stack adds to every view is
documented here, once, so that a generated client and schemathesis see every status the
API really returns, each with the common error body of `mlbilling.api_errors`:
401 where a token is needed, 429 everywhere (the default throttles cover every view),
400 where the client sends parameters or a body, 404 where the path names an object or a
list has pages, 415 where a JSON body is expected, 414 where there are query parameters
(the HTTP server's own answer, before the application: its body is not the error body).
Registered in SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].
"""

from __future__ import annotations

import re
from typing import Any

ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Statuses the HTTP server (gunicorn) answers by itself, with a body of its own.
SERVER_ANSWERS = {"414"}
METHODS = ("get", "post", "put", "patch", "delete")

DESCRIPTIONS = {
    "400": "Invalid parameters or body: `errors` names each field.",
    "401": "No token, or an invalid, expired or revoked one.",
    "404": "No such object, not yours, or no such page.",
    "413": "The body is larger than the server accepts.",
    "414": "The request line is longer than the HTTP server accepts (4,094 bytes).",
    "415": "The body is not JSON.",
    "429": "Too many requests; wait `Retry-After` seconds.",
}


def _stack_statuses(path: str, operation: dict[str, Any]) -> set[str]:
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody", {}).get("content", {})
    statuses = {"429"}
    if {} not in operation.get("security", [{}]):
        statuses.add("401")
    if body or any(p["in"] != "path" for p in parameters):
        statuses.add("400")
    if any(p["in"] == "query" for p in parameters):
        statuses.add("414")
    if "{" in path or any(p["name"] == "page" for p in parameters):
        statuses.add("404")
    if "application/json" in body:
        statuses.add("415")
    if body:
        statuses.add("413")
    return statuses


def document_error_statuses(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS hook: add the stack's statuses and the error body to each."""
    if "Error" not in result.get("components", {}).get("schemas", {}):
        raise LookupError("The Error component (mlbilling.api_errors.ErrorSerializer) is unused")
    for path, item in result.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in _stack_statuses(path, operation):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                if (
                    int(status) >= 400
                    and status not in SERVER_ANSWERS
                    and "content" not in response
                ):
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return result


def _digit_range(low: str, high: str) -> list[str]:
    """Regex alternatives matching the digit strings from `low` to `high` (equal lengths)."""
    if not low:
        return [""]
    if low[0] == high[0]:
        return [low[0] + rest for rest in _digit_range(low[1:], high[1:])]
    tail = len(low) - 1
    if low[1:] == "0" * tail and high[1:] == "9" * tail:
        return [f"[{low[0]}-{high[0]}]" + r"\d" * tail]
    alternatives = [low[0] + rest for rest in _digit_range(low[1:], "9" * tail)]
    if int(low[0]) + 1 <= int(high[0]) - 1:
        alternatives.append(f"[{int(low[0]) + 1}-{int(high[0]) - 1}]" + r"\d" * tail)
    alternatives += [high[0] + rest for rest in _digit_range("0" * tail, high[1:])]
    return alternatives


def amount_pattern(low: int, high: int) -> str:
    """A pattern for the amounts "I.DD" from `low` to `high` hundredths, both included.

    The amount's digits without the dot are the number of hundredths, written with at
    least three digits ("0.05" is 005): each length's range becomes digit classes, and
    the dot goes before the last two.
    """
    alternatives = []
    for length in range(max(3, len(str(low))), max(3, len(str(high))) + 1):
        first = max(low, 10 ** (length - 1) if length > 3 else 0)
        last = min(high, 10**length - 1)
        if first <= last:
            for digits in _digit_range(str(first).zfill(length), str(last).zfill(length)):
                alternatives.append(digits)
    dotted = [_dot_before_cents(alternative) for alternative in alternatives]
    return "^(" + "|".join(dotted) + ")$"


def _dot_before_cents(alternative: str) -> str:
    # Each alternative is one token per digit: a digit, `\d` or a class `[a-b]`.
    tokens = re.findall(r"\\d|\[\d-\d\]|\d", alternative)
    return "".join(tokens[:-2]) + r"\." + "".join(tokens[-2:])
