"""OpenAPI for the per-case inputs: one component per case, built from its schema.

DRF cannot describe a request whose rows depend on the `{slug}` in the path, so the
predict request body is documented as `{"inputs": [oneOf <CaseInput>...]}` with one
component per case (`NhanesAgeInput`, ...), generated from `case.schema.to_json_schema()`
by this serializer extension (drf-spectacular loads it when the views module imports it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample

from predictions.cases import CASES


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


class PredictRequestExtension(OpenApiSerializerExtension):
    target_class = "predictions.api.serializers.PredictRequestSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        refs = []
        for slug, case in sorted(CASES.items()):
            row_schema = {
                **case.schema.to_json_schema(),
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
