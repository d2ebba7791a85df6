from __future__ import annotations

from typing import Any

from django import template

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
