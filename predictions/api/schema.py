"""OpenAPI for the per-case inputs: one predict operation per model, built from its schema.

One URL, `POST /api/v1/models/{slug}/predict`, serves every model, but each model takes
its own rows. A single operation would need a `oneOf` of six row shapes, and a generated
client cannot tell them apart (a row of optional fields matches any object). So the
document publishes the operation once per model, at the model's own path
(`/api/v1/models/nhanes-age/predict`, operation `models_nhanes_age_predict`), with a
request component of that model only (`NhanesAgePredictRequest` of `NhanesAgeInput` rows)
and that model's example. The URL and the view stay one; this postprocessing hook only
rewrites the document.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from django.conf import settings
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter

from predictions.ml.cases import CASES
from predictions.ml.cases.base import Case
from predictions.serving.services import IDEMPOTENCY_KEY_MAX_LENGTH

GENERIC_OPERATION_ID = "models_predict"

# What `prediction_run` and the batch API accept, as ASCII: printable, no space at either
# end (servers strip it from a header).
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
        "pattern": "^[!-~]([ -~]*[!-~])?$",
    },
    OpenApiParameter.HEADER,
    description=f"Up to {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters, unique per "
    "request you mean: a retry with the same key answers the first request's answer.",
)


def case_component_name(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.replace("_", "-").split("-"))


def case_operation_id(slug: str) -> str:
    return f"models_{slug.replace('-', '_')}_predict"


def _own_enums(slug: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Give each case's choice sets their own identity in drf-spectacular's enum hook.

    The hook merges equal choice sets across components under one name and warns when
    two fields share values ("female"/"male" as `gender` in one case and `sex` in
    another); an id per case and field keeps every enum a component of its own case.
    """
    for name, prop in schema["properties"].items():
        # Field labels are for people; as a `title` they would name generated classes.
        label = prop.pop("title", None)
        if label and "description" not in prop:
            prop["description"] = label
        target = prop.get("items", prop)
        if "enum" in target:
            digest = hashlib.sha256(f"{slug}:{name}".encode()).hexdigest()
            target["x-spec-enum-id"] = digest[:16]
    if not schema.get("required"):
        # OpenAPI 3.0 wants a non-empty list or none. The one case of only optional fields,
        # android-malware, refuses an empty row: it needs `present` or some 0/1 fields.
        schema.pop("required", None)
        schema["minProperties"] = 1
    return schema


def case_input_schema(slug: str, case: Case) -> dict[str, Any]:
    """One input row of the case, with no `title`: generated clients name it by its key."""
    return {
        **_own_enums(slug, case.schema.to_json_schema()),
        "description": f"One input row of `{slug}` ({case.title}).",
        "example": case.example,
    }


def _request_schema(slug: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["inputs"],
        "additionalProperties": False,
        "description": f"The rows to predict with `{slug}`.",
        "properties": {
            "inputs": {
                "type": "array",
                "minItems": 1,
                "maxItems": settings.PREDICT_MAX_ROWS,
                "items": {"$ref": f"#/components/schemas/{case_component_name(slug)}Input"},
            }
        },
    }


def _model_operation(generic: dict[str, Any], slug: str, case: Case) -> dict[str, Any]:
    operation = copy.deepcopy(generic)
    operation["operationId"] = case_operation_id(slug)
    operation["summary"] = f"{case.title}: {generic.get('summary', '')}"
    operation["parameters"] = [p for p in generic.get("parameters", []) if p["in"] != "path"]
    ref = f"#/components/schemas/{case_component_name(slug)}PredictRequest"
    operation["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": ref},
                "examples": {slug: {"value": {"inputs": [case.example]}}},
            }
        },
    }
    return operation


def publish_predict_per_model(
    result: dict[str, Any], generator: Any, **_kwargs: Any
) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS hook: the generic predict operation becomes one per model.

    Runs before drf-spectacular's enum hook, which then names the cases' choice sets.
    """
    paths = result.get("paths", {})
    generic_path = next(
        (
            path
            for path, item in paths.items()
            if item.get("post", {}).get("operationId") == GENERIC_OPERATION_ID
        ),
        None,
    )
    if generic_path is None:
        return result
    generic = paths.pop(generic_path)["post"]
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for slug, case in sorted(CASES.items()):
        name = case_component_name(slug)
        for component_name, schema in (
            (f"{name}Input", case_input_schema(slug, case)),
            (f"{name}PredictRequest", _request_schema(slug)),
        ):
            # In the registry too: the enum hook rebuilds the components from it.
            schemas[component_name] = schema
            generator.registry.register_on_missing(
                ResolvedComponent(
                    name=component_name, type=ResolvedComponent.SCHEMA, schema=schema, object=schema
                )
            )
        path = generic_path.replace("{slug}", slug)
        paths[path] = {"post": _model_operation(generic, slug, case)}
    return result
