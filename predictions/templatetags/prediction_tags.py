"""The predictions app's template library: model cards, the prediction form and results.

Credits are formatted by billing's `credits` filter (`{% load billing_tags %}`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import template
from django.template.context import Context
from django.utils.formats import number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from predictions.ml.cases import UnknownCase
from predictions.registry.selectors import ModelListing, model_list
from predictions.serving import selectors
from predictions.serving.pattern_texts import pattern_translated

register = template.Library()


@register.filter
def spread(value: dict[str, Any] | None) -> str:
    """A metric as "mean [95 % interval]" with four decimals, or "mean ± std" for a version
    evaluated before intervals were recorded."""
    if not value:
        return "—"
    mean = _four_decimals(value["mean"])
    if value.get("ci_low") is not None and value.get("ci_high") is not None:
        return f"{mean} [{_four_decimals(value['ci_low'])}; {_four_decimals(value['ci_high'])}]"
    return f"{mean} ± {_four_decimals(value['std'])}"


def _four_decimals(number: float) -> str:
    # The page's decimal separator, like every number on it ("0,8123" in Russian).
    return number_format(round(number, 4), decimal_pos=4)


@register.filter
def figure_caption(figure: dict[str, Any]) -> str:
    """A card figure's caption in the page's language, its numbers (stored beside it as
    "values") put in after the translation."""
    caption = translated(figure.get("caption", ""))
    values = figure.get("values")
    return caption % values if values else caption


@register.filter
def translated(text: str) -> str:
    """A text marked with gettext_noop where it is written (a case's title, description or
    evaluation protocol, a card figure's title), in the page's language.

    Not {% translate variable %}: that doubles every percent sign before the lookup, so
    "1 % of" would never be found in the catalogue.
    """
    return pattern_translated(text) if text else text


@register.filter(needs_autoescape=True)
def inline_code(text: str, autoescape: bool = True) -> SafeString:
    """`name` in a case's text (a field the API takes or returns) as code, not backticks."""
    escaped = conditional_escape(text) if autoescape else text
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))  # noqa: S308 (escaped above)


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.simple_tag
def active_models() -> list[ModelListing]:
    """The models on offer, for pages whose view knows nothing of predictions (the landing)."""
    return model_list()


@register.inclusion_tag("predictions/_predict_form_body.html", takes_context=True)
def predict_form_block(context: Context, slug: str | None = None) -> dict[str, Any]:
    """The form for `slug` (default: the page's `listing`, `model` or `slug` variable)."""
    # Imported here: the views module imports this library's neighbours at load time.
    from predictions.serving.views import predict_form_context

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
