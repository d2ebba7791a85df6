from __future__ import annotations

from typing import Any

from billing.services.wallets import wallet_open


def open_wallet_for_new_user(
    sender: type, instance: Any, created: bool, raw: bool, **kwargs: Any
) -> None:
    # Fixtures (raw) carry their own wallets.
    if created and not raw:
        wallet_open(user=instance)
