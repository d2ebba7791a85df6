"""What the billing services refuse: each error means nothing moved."""

from __future__ import annotations

from django.utils.translation import gettext as _

from billing.money import credits_number, format_credits
from mlbilling.errors import DomainError


class BillingError(Exception):
    """A movement the ledger refuses; nothing moved."""


class CreditShortfall(DomainError):
    """Not enough available credits for a charge or a hold (amounts in hundredths); the
    answer carries the figures a client needs to top up."""

    code = "insufficient_credits"
    status_code = 402

    def __init__(self, message: str, *, needed: int, balance: int, available: int) -> None:
        super().__init__(message)
        self.needed = needed
        self.balance = balance
        self.available = available

    def extra(self) -> dict[str, str]:
        return {
            "needed": format_credits(self.needed),
            "balance": format_credits(self.balance),
            "available": format_credits(self.available),
        }


class InsufficientCredits(BillingError, CreditShortfall):
    def __init__(self, *, needed: int, balance: int, available: int) -> None:
        super().__init__(
            _(
                "Insufficient credits: %(needed)s needed, %(available)s available "
                "(balance %(balance)s)."
            )
            % {
                "needed": credits_number(needed),
                "available": credits_number(available),
                "balance": credits_number(balance),
            },
            needed=needed,
            balance=balance,
            available=available,
        )


class ReferenceConflict(BillingError):
    """The reference was already used for a different movement."""


class HoldNotFound(BillingError):
    pass


class RefundNotAllowed(BillingError):
    pass


class TopUpNotFound(BillingError):
    pass


class TopUpMismatch(BillingError):
    """A payment confirmation whose amount or provider reference is not the top-up's."""


class PaymentsUnavailable(BillingError, DomainError):
    """No payment provider of that name is configured (the sandbox is off in production)."""

    code = "payments_unavailable"
    status_code = 503


class TooManyPendingTopUps(BillingError, DomainError):
    """The user already has BILLING_TOPUP_MAX_PENDING unpaid top-ups that have not expired."""

    code = "too_many_pending_topups"
    status_code = 409

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        super().__init__(
            _(
                "You already have %(limit)d unpaid top-ups: pay or cancel one, or wait until "
                "they expire, before starting another."
            )
            % {"limit": limit}
        )

    def extra(self) -> dict[str, int]:
        return {"limit": self.limit}
