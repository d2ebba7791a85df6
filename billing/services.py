"""How credits move: the only writes on the ledger.

Every movement is one immutable `Transfer` plus, in the same transaction, the change to the
wallet's cached `balance`/`held`. Wallet rows are changed by single guarded statements
(`... WHERE balance - held >= amount RETURNING ...`): the database row lock serialises
concurrent debits and one changed row means success, so nothing is read and written back
from Python. Every function is idempotent by its reference: the transfer INSERT uses
`ON CONFLICT (kind, reference) DO NOTHING`, and when the reference was already used the
wallet change is undone in the same transaction and the first transfer is returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.ledger import (
    WalletRow,
    transfer_insert,
    wallet_credit,
    wallet_debit,
    wallet_reserve,
    wallet_settle,
)
from billing.models import (
    Account,
    Hold,
    HoldStatus,
    TopUp,
    TopUpState,
    Transfer,
    TransferKind,
)
from billing.money import InvalidAmount, check_credit_bounds, format_credits
from billing.notifications import send_low_balance_email
from billing.providers import get_provider
from billing.system_accounts import PROMOTIONS, clearing_account


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


def _existing_transfer(*, kind: str, reference: str) -> Transfer | None:
    return Transfer.objects.filter(kind=kind, reference=reference).first()


def _same_movement(existing: Transfer, *, user: User, amount: int) -> Transfer:
    if existing.wallet.user_id != user.pk or existing.amount != amount:
        raise ReferenceConflict(
            f"Reference {existing.reference!r} was already used for another {existing.kind}."
        )
    return existing


def _wallet_id(user: User) -> int:
    wallet_id = Account.objects.filter(user=user).values_list("id", flat=True).first()
    if wallet_id is None:
        wallet_id = wallet_open(user=user).id
    return wallet_id


def _require_positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount(f"Amount must be a positive integer of hundredths, not {amount!r}.")


def _insufficient(*, user: User, amount: int) -> InsufficientCredits:
    wallet = Account.objects.filter(user=user).first()
    balance = (wallet.balance or 0) if wallet is not None else 0
    held = (wallet.held or 0) if wallet is not None else 0
    return InsufficientCredits(needed=amount, balance=balance, available=balance - held)


def _after_debit(*, user_id: int, wallet: WalletRow, amount: int) -> None:
    threshold = wallet.low_balance_threshold
    # A debit "crosses" when it takes the balance from at or above the threshold to below it.
    # Debits on one wallet are serialised by its row lock, so exactly one debit crosses per
    # dip and the email goes once per crossing without storing any flag.
    if threshold is not None and wallet.balance < threshold <= wallet.balance + amount:
        transaction.on_commit(
            partial(send_low_balance_email, user_id=user_id, balance=wallet.balance)
        )


def _debit_to_system(
    *,
    user: User,
    amount: int,
    kind: str,
    reference: str,
    system_code: str,
    description: str,
    created_by: User | None,
) -> Transfer:
    _require_positive(amount)
    existing = None
    # savepoint=False: inside a caller's transaction this adds no SAVEPOINT round trips; no
    # exception is raised inside the block except a database error, which must abort the
    # caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        wallet = wallet_debit(user_id=user.pk, amount=amount)
        if wallet is not None:
            transfer = transfer_insert(
                kind=kind,
                reference=reference,
                wallet=wallet,
                system=system_code,
                outgoing=True,
                amount=amount,
                description=description,
                created_by_id=created_by.pk if created_by else None,
            )
            if transfer is not None:
                _after_debit(user_id=user.pk, wallet=wallet, amount=amount)
                return transfer
            # The reference was used before: give the credits back, return the first one.
            wallet_credit(wallet_id=wallet.id, amount=amount)
        existing = _existing_transfer(kind=kind, reference=reference)
    if existing is None:
        raise _insufficient(user=user, amount=amount)
    return _same_movement(existing, user=user, amount=amount)


def _credit_from_system(
    *,
    wallet_id: int,
    amount: int,
    kind: str,
    reference: str,
    system: int | str,
    description: str,
    created_by: User | None,
    refund_of_id: int | None = None,
) -> Transfer:
    _require_positive(amount)
    with transaction.atomic(savepoint=False):
        wallet = wallet_credit(wallet_id=wallet_id, amount=amount)
        transfer = transfer_insert(
            kind=kind,
            reference=reference,
            wallet=wallet,
            system=system,
            outgoing=False,
            amount=amount,
            description=description,
            created_by_id=created_by.pk if created_by else None,
            refund_of_id=refund_of_id,
        )
        if transfer is not None:
            return transfer
        wallet_credit(wallet_id=wallet_id, amount=-amount)
        existing = _existing_transfer(kind=kind, reference=reference)
    assert existing is not None  # the INSERT just conflicted with it
    if existing.wallet_id != wallet_id or existing.amount != amount:
        raise ReferenceConflict(
            f"Reference {reference!r} was already used for another {existing.kind}."
        )
    return existing


# --- Wallets ----------------------------------------------------------------------------


def wallet_open(*, user: User) -> Account:
    """Open the user's wallet (empty); returns the existing one if it is already open."""
    return Account.objects.get_or_create(user=user, defaults={"balance": 0, "held": 0})[0]


def wallet_charge(
    *,
    user: User,
    amount: int,
    reference: str,
    revenue_account: str,
    description: str = "",
    created_by: User | None = None,
) -> Transfer:
    """Debit `amount` from the user's wallet to the system account `revenue_account`.

    One guarded UPDATE and one INSERT; joins the caller's transaction if there is one.
    Raises InsufficientCredits when `balance - held < amount`. The same reference again
    returns the first transfer and charges nothing.
    """
    return _debit_to_system(
        user=user,
        amount=amount,
        kind=TransferKind.CHARGE,
        reference=reference,
        system_code=revenue_account,
        description=description,
        created_by=created_by,
    )


def wallet_grant(
    *,
    user: User,
    amount: int,
    reason: str,
    created_by: User | None = None,
    reference: str | None = None,
) -> Transfer:
    """An operator gives credits (positive amount) or takes them back (negative).

    The transfer is the audit record: `created_by` is who, `created_at` when, `description`
    the reason. Taking back never goes below zero or into held credits (InsufficientCredits).
    Without a reference every call is a new grant.
    """
    if not isinstance(amount, int) or amount == 0:
        raise InvalidAmount("A grant needs a non-zero amount.")
    if not reason.strip():
        raise BillingError("A grant needs a reason.")
    reference = reference or f"grant:{uuid.uuid4().hex}"
    if amount < 0:
        return _debit_to_system(
            user=user,
            amount=-amount,
            kind=TransferKind.ADJUSTMENT,
            reference=reference,
            system_code=PROMOTIONS,
            description=reason.strip(),
            created_by=created_by,
        )
    return _credit_from_system(
        wallet_id=_wallet_id(user),
        amount=amount,
        kind=TransferKind.GRANT,
        reference=reference,
        system=PROMOTIONS,
        description=reason.strip(),
        created_by=created_by,
    )


def wallet_set_low_balance_threshold(*, user: User, threshold: int | None) -> Account:
    """Set (or, with None, turn off) the balance below which the owner gets an email."""
    if threshold is not None and threshold < 0:
        raise InvalidAmount("The threshold cannot be negative.")
    wallet_id = _wallet_id(user)
    Account.objects.filter(pk=wallet_id).update(low_balance_threshold=threshold)
    return Account.objects.get(pk=wallet_id)


# --- Refunds ----------------------------------------------------------------------------


@transaction.atomic
def transfer_refund(
    *,
    transfer_id: int,
    amount: int,
    reference: str,
    reason: str,
    created_by: User | None = None,
) -> Transfer:
    """Give back up to the whole of an earlier charge or hold capture, in one or more parts.

    The refund is a new transfer from the revenue account back to the wallet; the total
    refunded never exceeds the original amount. The same reference again returns the first
    refund.
    """
    _require_positive(amount)
    existing = _existing_transfer(kind=TransferKind.REFUND, reference=reference)
    if existing is not None:
        if existing.refund_of_id != transfer_id or existing.amount != amount:
            raise ReferenceConflict(f"Reference {reference!r} was used for another refund.")
        return existing
    # Locking the original serialises refunds of one charge, so two partial refunds cannot
    # both pass the "at most its amount" check.
    original = Transfer.objects.select_for_update().filter(pk=transfer_id).first()
    if original is None or original.kind not in {TransferKind.CHARGE, TransferKind.HOLD_CAPTURE}:
        raise RefundNotAllowed("Only a charge or a hold capture can be refunded.")
    refunded = original.refunds.aggregate(total=Sum("amount"))["total"] or 0
    if refunded + amount > original.amount:
        raise RefundNotAllowed(
            f"At most {format_credits(original.amount - refunded)} of this charge "
            "can still be refunded."
        )
    return _credit_from_system(
        wallet_id=original.debit_id,
        amount=amount,
        kind=TransferKind.REFUND,
        reference=reference,
        system=original.credit_id,
        description=reason,
        created_by=created_by,
        refund_of_id=original.pk,
    )


# --- Holds ------------------------------------------------------------------------------


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
    _require_positive(amount)
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
        raise _insufficient(user=user, amount=amount)
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
def hold_capture(*, hold_id: int, amount: int, revenue_account: str) -> Transfer | None:
    """Charge `amount` (0 <= amount <= the hold) of an active hold and release the rest.

    Returns the capture transfer, or None when nothing was captured. A second call (or a
    call after the hold was released or expired) moves nothing and returns the first
    outcome.
    """
    hold = _locked_hold(hold_id)
    if hold.status != HoldStatus.ACTIVE:
        return _existing_transfer(kind=TransferKind.HOLD_CAPTURE, reference=hold.reference)
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
        description=hold.description,
        created_by_id=None,
    )
    if transfer is None:
        # Hold references are unique, so only a hand-made transfer can collide.
        raise ReferenceConflict(f"A capture for {hold.reference!r} already exists.")
    user_id = Account.objects.values_list("user_id", flat=True).get(pk=hold.wallet_id)
    _after_debit(user_id=user_id, wallet=wallet, amount=amount)
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


# --- Top-ups ----------------------------------------------------------------------------


def topup_create(*, user: User, amount: int, provider: str = "sandbox") -> TopUp:
    """Start buying `amount` credits: a pending top-up and the provider's checkout URL.
    Raises InvalidAmount outside the configured minimum and maximum, PaymentsUnavailable
    when the provider is not configured."""
    _require_positive(amount)
    check_credit_bounds(amount, low=settings.BILLING_TOPUP_MIN, high=settings.BILLING_TOPUP_MAX)
    if provider not in settings.BILLING_PAYMENT_PROVIDERS:
        raise PaymentsUnavailable(
            _("Top-ups are not available right now: no payment provider is configured.")
        )
    payment_provider = get_provider(provider)
    with transaction.atomic():
        topup = TopUp.objects.create(
            user=user,
            amount=amount,
            provider=provider,
            expires_at=timezone.now() + timedelta(minutes=settings.BILLING_TOPUP_TTL_MINUTES),
        )
        checkout = payment_provider.start_checkout(topup)
        topup.provider_reference = checkout.reference
        topup.checkout_url = checkout.url
        topup.save(update_fields=["provider_reference", "checkout_url", "updated_at"])
    return topup


def _locked_topup(topup_id: int, *, provider: str, provider_reference: str) -> TopUp:
    topup = TopUp.objects.select_for_update().filter(pk=topup_id, provider=provider).first()
    if topup is None:
        raise TopUpNotFound(f"No {provider} top-up {topup_id}.")
    if topup.provider_reference != provider_reference:
        raise TopUpMismatch("The payment is for another checkout.")
    return topup


@transaction.atomic
def topup_complete(
    *,
    topup_id: int,
    provider: str,
    provider_reference: str,
    amount: int,
    now: datetime | None = None,
) -> TopUp:
    """The provider confirmed payment: credit the wallet once.

    Call only with a verified callback. Returns the top-up in its resulting state: a
    second confirmation changes nothing; one that arrives after the top-up expired or
    failed credits nothing (the payment must be returned at the provider).
    """
    topup = _locked_topup(topup_id, provider=provider, provider_reference=provider_reference)
    if amount != topup.amount:
        raise TopUpMismatch("The paid amount is not the top-up's amount.")
    if topup.state != TopUpState.PENDING:
        return topup
    if topup.expires_at <= (now or timezone.now()):
        topup.state = TopUpState.EXPIRED
        topup.save(update_fields=["state", "updated_at"])
        return topup
    _credit_from_system(
        wallet_id=_wallet_id(topup.user),
        amount=topup.amount,
        kind=TransferKind.TOPUP,
        reference=topup.transfer_reference,
        system=clearing_account(provider),
        description=f"Top-up via {provider}",
        created_by=None,
    )
    topup.state = TopUpState.SUCCEEDED
    topup.save(update_fields=["state", "updated_at"])
    return topup


@transaction.atomic
def topup_fail(*, topup_id: int, provider: str, provider_reference: str) -> TopUp:
    """The buyer declined or the payment failed: a pending top-up becomes failed."""
    topup = _locked_topup(topup_id, provider=provider, provider_reference=provider_reference)
    if topup.state == TopUpState.PENDING:
        topup.state = TopUpState.FAILED
        topup.save(update_fields=["state", "updated_at"])
    return topup


def topup_callback_process(*, provider: str, body: bytes, headers: Mapping[str, str]) -> TopUp:
    """Verify a provider's callback and apply it: credit a paid top-up, fail a declined one.

    Raises InvalidCallback (forged or malformed: nothing moves), TopUpNotFound or
    TopUpMismatch. Delivering the same callback again returns the top-up unchanged.
    """
    event = get_provider(provider).parse_callback(body=body, headers=headers)
    if event.paid:
        return topup_complete(
            topup_id=event.topup_id,
            provider=provider,
            provider_reference=event.provider_reference,
            amount=event.amount,
        )
    return topup_fail(
        topup_id=event.topup_id, provider=provider, provider_reference=event.provider_reference
    )


def topups_expire(*, now: datetime | None = None) -> int:
    """Mark pending top-ups past their expiry as expired; returns how many."""
    return TopUp.objects.filter(
        state=TopUpState.PENDING, expires_at__lte=now or timezone.now()
    ).update(state=TopUpState.EXPIRED, updated_at=timezone.now())
