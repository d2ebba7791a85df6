"""JSON fields on the admin's read-only pages: indented, in a <pre> block. What they hold
is data (a model's input schema, its metrics, a request's inputs), not the page's words:
the reader's language does not apply to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.utils.html import format_html


def json_display(field: str, description: Any) -> Callable[[Any, Model], str]:
    """An admin read-only field showing the model's JSON `field` indented."""

    @admin.display(description=description)
    def show(_admin: Any, obj: Model) -> str:
        value = getattr(obj, field)
        if value is None:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))

    return show
