"""Holds: credits reserved on a wallet, then captured (any part), released or expired."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from billing.errors import HoldNotFound, ReferenceConflict
from billing.ledger import WalletRow, transfer_insert, wallet_reserve, wallet_settle
from billing.models import Account, Hold, HoldStatus, Transfer, TransferKind
from billing.money import InvalidAmount
from billing.services.movements import (
    after_debit,
    existing_transfer,
    insufficient_credits,
    require_positive,
)
from billing.statement_lines import StatementLine


def hold_create(
    *,
    user: User,
    amount: int,
    reference: str,
    expires_at: datetime,
    description: str = "",
) -> Hold:
    """Reserve `amount` on the wallet (it counts in `held` and cannot be spent) until it is
    captured, released or expires. Raises InsufficientCredits; the same reference again
    returns the first hold."""
    require_positive(amount)
    hold = None
    with transaction.atomic(savepoint=False):
        wallet = wallet_reserve(user_id=user.pk, amount=amount)
        if wallet is not None:
            hold, created = Hold.objects.get_or_create(
                reference=reference,
                defaults={
                    "wallet_id": wallet.id,
                    "amount": amount,
                    "expires_at": expires_at,
                    "description": description,
                },
            )
            if not created:
                wallet_settle(wallet_id=wallet.id, held=amount, spent=0)
    if hold is None:
        hold = Hold.objects.filter(reference=reference).first()
    if hold is None:
        raise insufficient_credits(user=user, amount=amount)
    if hold.wallet.user_id != user.pk or hold.amount != amount:
        raise ReferenceConflict(f"Hold reference {reference!r} was used for another hold.")
    return hold


def _locked_hold(hold_id: int) -> Hold:
    hold = Hold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None:
        raise HoldNotFound(f"No hold {hold_id}.")
    return hold


def _hold_settle(hold: Hold, *, status: str, captured: int = 0) -> WalletRow:
    """Move an active, locked hold to its final status and take it out of `held`."""
    wallet = wallet_settle(wallet_id=hold.wallet_id, held=hold.amount, spent=captured)
    hold.status = status
    hold.captured_amount = captured if status == HoldStatus.CAPTURED else None
    hold.settled_at = timezone.now()
    hold.save(update_fields=["status", "captured_amount", "settled_at"])
    return wallet


@transaction.atomic
def hold_capture(
    *, hold_id: int, amount: int, revenue_account: str, line: StatementLine | None = None
) -> Transfer | None:
    """Charge `amount` (0 <= amount <= the hold) of an active hold and release the rest;
    `line` says what for on the statement (the hold's own description is for operators).

    Returns the capture transfer, or None when nothing was captured. A second call (or a
    call after the hold was released or expired) moves nothing and returns the first
    outcome.
    """
    hold = _locked_hold(hold_id)
    if hold.status != HoldStatus.ACTIVE:
        return existing_transfer(kind=TransferKind.HOLD_CAPTURE, reference=hold.reference)
    if not isinstance(amount, int) or not 0 <= amount <= hold.amount:
        raise InvalidAmount(f"Capture between 0 and {hold.amount}, not {amount!r}.")
    wallet = _hold_settle(hold, status=HoldStatus.CAPTURED, captured=amount)
    if amount == 0:
        return None
    transfer = transfer_insert(
        kind=TransferKind.HOLD_CAPTURE,
        reference=hold.reference,
        wallet=wallet,
        system=revenue_account,
        outgoing=True,
        amount=amount,
        line=line,
        description="",
        created_by_id=None,
    )
    if transfer is None:
        # Hold references are unique, so only a hand-made transfer can collide.
        raise ReferenceConflict(f"A capture for {hold.reference!r} already exists.")
    user_id = Account.objects.values_list("user_id", flat=True).get(pk=hold.wallet_id)
    after_debit(user_id=user_id, wallet=wallet, amount=amount)
    return transfer


@transaction.atomic
def hold_release(*, hold_id: int) -> None:
    """Release an active hold entirely; a settled hold is left as it is."""
    hold = _locked_hold(hold_id)
    if hold.status == HoldStatus.ACTIVE:
        _hold_settle(hold, status=HoldStatus.RELEASED)


def holds_expire(*, now: datetime | None = None) -> int:
    """Release every active hold past its expiry (a job that died never settles its hold).
    Returns how many expired. Run by the django-q2 schedule."""
    now = now or timezone.now()
    expired = 0
    candidates = Hold.objects.filter(status=HoldStatus.ACTIVE, expires_at__lte=now)
    for hold_id in candidates.values_list("id", flat=True):
        with transaction.atomic():
            hold = _locked_hold(hold_id)
            # Re-checked under the lock: a capture may have won the race.
            if hold.status == HoldStatus.ACTIVE and hold.expires_at <= now:
                _hold_settle(hold, status=HoldStatus.EXPIRED)
                expired += 1
    return expired
