"""What the billing services refuse: each error means nothing moved."""

from __future__ import annotations

from django.utils.translation import gettext as _

from billing.money import format_credits


class BillingError(Exception):
    """A movement the ledger refuses; nothing moved."""


class InsufficientCredits(BillingError):
    def __init__(self, *, needed: int, balance: int, available: int) -> None:
        self.needed = needed
        self.balance = balance
        self.available = available
        super().__init__(
            _(
                "Insufficient credits: %(needed)s needed, %(available)s available "
                "(balance %(balance)s)."
            )
            % {
                "needed": format_credits(needed),
                "available": format_credits(available),
                "balance": format_credits(balance),
            }
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


class PaymentsUnavailable(BillingError):
    """No payment provider of that name is configured (the sandbox is off in production)."""
