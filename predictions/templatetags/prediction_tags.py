"""`{% predict_form_block %}`: the prediction form, for any page that shows a model."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.template.context import Context

from billing.money import format_credits
from predictions import prediction_selectors as selectors
from predictions.cases import UnknownCase

register = template.Library()


@register.inclusion_tag("predictions/_predict_form_body.html", takes_context=True)
def predict_form_block(context: Context, slug: str | None = None) -> dict[str, Any]:
    """The form for `slug` (default: the page's `listing`, `model` or `slug` variable)."""
    from predictions.web import predict_form_context

    slug = slug or _page_slug(context)
    try:
        listing = selectors.model_catalog_entry(slug=slug or "")
    except UnknownCase:
        return {"unavailable": True}
    return {**predict_form_context(context["request"], listing), "request": context["request"]}


def _page_slug(context: Context) -> str | None:
    for name in ("listing", "entry"):
        if context.get(name) is not None:
            return context[name].model.slug
    model = context.get("model") or context.get("mlmodel")
    return getattr(model, "slug", None) or context.get("slug")


@register.filter
def credits(units: int | None) -> str:
    """Hundredths of a credit -> "12.50"."""
    return "" if units is None else format_credits(units)


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
