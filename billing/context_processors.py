from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from billing.money import credits_number
from billing.selectors import wallet_balance


def wallet(request: HttpRequest) -> dict[str, object]:
    """`wallet_balance` for the navigation; lazy, so pages that do not show it pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "wallet_balance": SimpleLazyObject(
            lambda: credits_number(wallet_balance(user=user).balance)
        )
    }
