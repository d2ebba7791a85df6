"""Billing's signals: the one it sends (a top-up settled) and its receiver of a new user."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

from billing.services.wallets import wallet_open

# A top-up reached a final state (succeeded, failed or expired on a late payment) and
# committed; sent by billing.services.topups. Keyword argument: topup.
topup_settled = Signal()


def open_wallet_for_new_user(
    sender: type, instance: Any, created: bool, raw: bool, **kwargs: Any
) -> None:
    # Fixtures (raw) carry their own wallets.
    if created and not raw:
        wallet_open(user=instance)
