"""django-q2 entry points: the expiry jobs (scheduled by migration 0002) and the emails
the services queue."""

from __future__ import annotations

from billing import notifications
from billing.services.holds import holds_expire
from billing.services.topups import topups_expire


def expire_holds() -> int:
    return holds_expire()


def expire_topups() -> int:
    return topups_expire()


def send_low_balance_email(user_id: int, balance: int) -> None:
    notifications.send_low_balance_email(user_id=user_id, balance=balance)
