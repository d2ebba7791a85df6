"""Buying credits through a payment provider: start, confirm or fail, expire."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.errors import (
    PaymentsUnavailable,
    TooManyPendingTopUps,
    TopUpMismatch,
    TopUpNotFound,
)
from billing.models import TopUp, TopUpState, TransferKind
from billing.money import check_credit_bounds
from billing.providers import get_provider
from billing.services.movements import credit_from_system, require_positive
from billing.services.wallets import wallet_id_of
from billing.signals import topup_settled
from billing.statement_lines import topup_line
from billing.system_accounts import clearing_account
from mlbilling.events import send_after_commit


def topup_create(*, user: User, amount: int, provider: str = "sandbox") -> TopUp:
    """Start buying `amount` credits: a pending top-up and the provider's checkout URL.
    Raises InvalidAmount outside the configured minimum and maximum, PaymentsUnavailable
    when the provider is not configured, TooManyPendingTopUps at the pending cap.

    Three steps, and the provider is called between two transactions, never inside one:
    a slow provider then holds no connection's transaction or lock open. The pending
    record is reserved (committed) first; a provider that fails leaves it failed, not
    pending; its reference is recorded after."""
    require_positive(amount)
    check_credit_bounds(amount, low=settings.BILLING_TOPUP_MIN, high=settings.BILLING_TOPUP_MAX)
    if provider not in settings.BILLING_PAYMENT_PROVIDERS:
        raise PaymentsUnavailable(
            _("Top-ups are not available right now: no payment provider is configured.")
        )
    payment_provider = get_provider(provider)
    with transaction.atomic():
        _check_pending_cap(user)
        topup = TopUp.objects.create(
            user=user,
            amount=amount,
            provider=provider,
            expires_at=timezone.now() + timedelta(minutes=settings.BILLING_TOPUP_TTL_MINUTES),
        )
    try:
        checkout = payment_provider.start_checkout(topup)
    except Exception:
        with transaction.atomic():
            _settle(topup, TopUpState.FAILED)
        raise
    topup.provider_reference = checkout.reference
    topup.checkout_url = checkout.url
    topup.save(update_fields=["provider_reference", "checkout_url", "updated_at"])
    return topup


def _check_pending_cap(user: User) -> None:
    """At most BILLING_TOPUP_MAX_PENDING unexpired pending top-ups per user. The user's
    row is locked first so that concurrent requests count one after the other."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    limit = settings.BILLING_TOPUP_MAX_PENDING
    pending = TopUp.objects.filter(
        user=user, state=TopUpState.PENDING, expires_at__gt=timezone.now()
    )
    if pending.count() >= limit:
        raise TooManyPendingTopUps(limit=limit)


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
        return _settle(topup, TopUpState.EXPIRED)
    credit_from_system(
        wallet_id=wallet_id_of(topup.user),
        amount=topup.amount,
        kind=TransferKind.TOPUP,
        reference=topup.transfer_reference,
        system=clearing_account(provider),
        line=topup_line(provider=provider),
        description="",
        created_by=None,
    )
    return _settle(topup, TopUpState.SUCCEEDED)


@transaction.atomic
def topup_fail(*, topup_id: int, provider: str, provider_reference: str) -> TopUp:
    """The buyer declined or the payment failed: a pending top-up becomes failed."""
    topup = _locked_topup(topup_id, provider=provider, provider_reference=provider_reference)
    if topup.state == TopUpState.PENDING:
        _settle(topup, TopUpState.FAILED)
    return topup


def _settle(topup: TopUp, state: str) -> TopUp:
    """Put a pending top-up in its final state; the metrics learn of it on commit."""
    topup.state = state
    topup.save(update_fields=["state", "updated_at"])
    send_after_commit(topup_settled, sender=TopUp, topup=topup)
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
