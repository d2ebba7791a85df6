"""Request bodies carry only the fields we publish: an unknown one is refused, not ignored.

A silently ignored key hides a client's typo (`input` for `inputs`, `ammount`) and lets a
request pass as something it is not; the published schemas say `additionalProperties:
false`, and this makes the server agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers


def refuse_unknown_fields(data: Mapping[str, Any], *, allowed: Iterable[str]) -> None:
    """Raise a 400 naming every key of `data` that is not in `allowed`."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})


class StrictSerializer(serializers.Serializer):
    """A serializer that refuses fields it does not declare."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            refuse_unknown_fields(data, allowed=self.fields)
        return super().to_internal_value(data)


class StrictSerializerSchema(OpenApiSerializerExtension):
    """Publishes a StrictSerializer's body with `additionalProperties: false`, so that a
    client or a fuzzer built from the schema knows an unknown field is refused."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        return {**schema, "additionalProperties": False}
