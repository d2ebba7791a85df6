"""django-q2 entry points; scheduled by migration 0002."""

from __future__ import annotations

from billing.services.holds import holds_expire
from billing.services.topups import topups_expire


def expire_holds() -> int:
    return holds_expire()


def expire_topups() -> int:
    return topups_expire()
