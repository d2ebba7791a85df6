"""OpenAPI for the per-case inputs: one component per case, built from its schema.

DRF cannot describe a request whose rows depend on the `{slug}` in the path, so the
predict request body is documented as `{"inputs": [oneOf <CaseInput>...]}` with one
component per case (`NhanesAgeInput`, ...), generated from `case.schema.to_json_schema()`
by this serializer extension (drf-spectacular loads it when the views module imports it).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample

from predictions.ml.cases import CASES


def case_component_name(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.replace("_", "-").split("-")) + "Input"


def predict_examples() -> list[OpenApiExample]:
    """One request example per case: its declared example row."""
    return [
        OpenApiExample(
            f"{case.title} ({slug})",
            value={"inputs": [case.example]},
            request_only=True,
            description=f"POST /api/v1/models/{slug}/predict",
        )
        for slug, case in sorted(CASES.items())
    ]


def _own_enums(slug: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Give each case's choice sets their own identity in drf-spectacular's enum hook.

    The hook merges equal choice sets across components under one name and warns when
    two fields share values ("female"/"male" as `gender` in one case and `sex` in
    another); an id per case and field keeps every enum a component of its own case.
    """
    for name, prop in schema["properties"].items():
        target = prop.get("items", prop)
        if "enum" in target:
            digest = hashlib.sha256(f"{slug}:{name}".encode()).hexdigest()
            target["x-spec-enum-id"] = digest[:16]
    if not schema.get("required"):
        # OpenAPI 3.0 wants a non-empty list or none (case 1 has only optional fields).
        schema.pop("required", None)
    return schema


class PredictRequestExtension(OpenApiSerializerExtension):
    target_class = "predictions.api.serializers.PredictRequestSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        refs = []
        for slug, case in sorted(CASES.items()):
            row_schema = {
                **_own_enums(slug, case.schema.to_json_schema()),
                "title": case.title,
                "description": f"One input row of `{slug}`.",
                "example": case.example,
            }
            component = ResolvedComponent(
                name=case_component_name(slug),
                type=ResolvedComponent.SCHEMA,
                object=f"case-input:{slug}",
                schema=row_schema,
            )
            auto_schema.registry.register_on_missing(component)
            refs.append(component.ref)
        return {
            "type": "object",
            "required": ["inputs"],
            "additionalProperties": False,
            "properties": {
                "inputs": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": settings.PREDICT_MAX_ROWS,
                    "description": "Rows of the model named in the path; each must match "
                    "that model's input component.",
                    "items": {"oneOf": refs} if refs else {"type": "object"},
                }
            },
        }
