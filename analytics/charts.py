"""Bar charts drawn on the server as inline SVG: no JavaScript, no CDN, readable without
styles, with each bar's value in a <title> so that hovering shows it."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
HEIGHT = 200
LEFT = 48  # room for the y-axis labels
BOTTOM = 22  # room for the x-axis labels
TOP = 8
# x-axis labels are thinned to about this many so that dates never overlap.
MAX_X_LABELS = 8


def _coordinate(value: float) -> str:
    # format_html escapes its arguments into strings first: format numbers beforehand.
    return f"{value:.1f}"


def bar_chart(points: list[tuple[str, float, str]], *, title: str) -> SafeString:
    """An SVG bar chart of (label, value, value as shown) points, scaled to the largest."""
    if not points:
        return SafeString("")
    top_value = max(value for _label, value, _shown in points)
    scale = (HEIGHT - TOP - BOTTOM) / top_value if top_value > 0 else 0.0
    slot = (WIDTH - LEFT) / len(points)
    bar = max(slot * 0.8, 1.0)
    step = max(1, -(-len(points) // MAX_X_LABELS))
    base = HEIGHT - BOTTOM
    bars = format_html_join(
        "",
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>',
        (
            (
                _coordinate(LEFT + i * slot + (slot - bar) / 2),
                _coordinate(base - value * scale),
                _coordinate(bar),
                _coordinate(value * scale),
                label,
                shown,
            )
            for i, (label, value, shown) in enumerate(points)
        ),
    )
    labels = format_html_join(
        "",
        '<text class="x-label" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (_coordinate(LEFT + i * slot + slot / 2), HEIGHT - 6, label)
            for i, (label, _value, _shown) in enumerate(points)
            if i % step == 0
        ),
    )
    top_shown = next(shown for _label, value, shown in points if value == top_value)
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}" '
        'xmlns="http://www.w3.org/2000/svg">'
        "<title>{title}</title>"
        '<line class="axis" x1="{left}" y1="{base}" x2="{w}" y2="{base}"/>'
        '<text class="y-label" x="{lx}" y="{ty}" text-anchor="end">{top}</text>'
        '<text class="y-label" x="{lx}" y="{base}" text-anchor="end">0</text>'
        "{bars}{labels}</svg>",
        w=WIDTH,
        h=HEIGHT,
        title=title,
        left=LEFT,
        base=base,
        lx=LEFT - 4,
        ty=TOP + 10,
        top=top_shown,
        bars=bars,
        labels=labels,
    )
