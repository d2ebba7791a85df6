"""The statuses every API operation can answer, written into the OpenAPI document.

Views document what is theirs (201, 402, 409, ...); what the stack adds to every view is
documented here, once, so that a generated client and schemathesis see every status the
API really returns, each with the common error body of `mlbilling.api_errors`:
401 where a token is needed, 429 everywhere (the default throttles cover every view),
400 where the client sends parameters or a body, 404 where the path names an object or a
list has pages, 415 where a JSON body is expected.
Registered in SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].
"""

from __future__ import annotations

from typing import Any

ERROR_REF = {"$ref": "#/components/schemas/Error"}
METHODS = ("get", "post", "put", "patch", "delete")

DESCRIPTIONS = {
    "400": "Invalid parameters or body: `errors` names each field.",
    "401": "No token, or an invalid, expired or revoked one.",
    "404": "No such object, not yours, or no such page.",
    "413": "The body is larger than the server accepts.",
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
                if int(status) >= 400 and "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return result
