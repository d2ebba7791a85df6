from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from predictions.registry import ModelListing, model_list

register = template.Library()


@register.filter
def credits(units: int) -> str:
    """Hundredths of a credit as credits with two decimals (1250 -> "12.50")."""
    sign = "-" if units < 0 else ""
    whole, cents = divmod(abs(int(units)), 100)
    return f"{sign}{whole}.{cents:02d}"


@register.filter
def spread(value: dict[str, Any] | None) -> str:
    """A metric as "mean ± std" with four decimals."""
    if not value:
        return "—"
    return f"{value['mean']:.4f} ± {value['std']:.4f}"


@register.filter
def translated(text: str) -> str:
    """A text marked with gettext_noop where it is written (a case's title, description or
    evaluation protocol, a card figure's title), in the page's language.

    Not {% translate variable %}: that doubles every percent sign before the lookup, so
    "1 % of" would never be found in the catalogue.
    """
    return gettext(text) if text else text


@register.simple_tag
def active_models() -> list[ModelListing]:
    """The models on offer, for pages whose view knows nothing of predictions (the landing)."""
    return model_list()
