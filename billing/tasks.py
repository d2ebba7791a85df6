"""django-q2 entry points; scheduled by migration 0002."""

from __future__ import annotations

from billing.services import holds_expire, topups_expire


def expire_holds() -> int:
    return holds_expire()


def expire_topups() -> int:
    return topups_expire()
