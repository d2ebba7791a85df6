"""Every route of the project as a concrete path, for sweeps that must cover new routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str  # as declared, e.g. "billing/top-up/<int:pk>/"
    name: str | None
    callback: Any

    @property
    def parameters(self) -> list[tuple[str, str]]:
        return [(m["converter"] or "str", m["name"]) for m in PARAMETER.finditer(self.route)]

    def path(self, **values: object) -> str:
        """The route with its parameters filled from `values` (by name)."""
        return "/" + PARAMETER.sub(lambda m: str(values[m["name"]]), self.route)


def routes() -> Iterator[Route]:
    """Routes declared with `path()` (regex routes such as the admin's catch-all are left
    out: they take any path, so there is nothing to fill in)."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[Route]:
        for entry in patterns:
            if not isinstance(entry.pattern, RoutePattern):
                continue
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield Route(route=route, name=entry.name, callback=entry.callback)

    return walk(get_resolver().url_patterns, "")
