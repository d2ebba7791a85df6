from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from billing.errors import (
    BillingError,
    HoldNotFound,
    InsufficientCredits,
    ReferenceConflict,
    RefundNotAllowed,
    TopUpMismatch,
    TopUpNotFound,
)
from billing.models import Account, Hold, HoldStatus, TopUpState, Transfer, TransferKind
from billing.money import InvalidAmount
from billing.selectors import account_balance, ledger_reconcile, wallet_balance
from billing.services.holds import hold_capture, hold_create, hold_release, holds_expire
from billing.services.refunds import transfer_refund
from billing.services.topups import topup_complete, topup_create, topup_fail, topups_expire
from billing.services.wallets import wallet_charge, wallet_grant, wallet_set_low_balance_threshold
from billing.system_accounts import PROMOTIONS, clearing_account
from billing.tasks import send_low_balance_email

REVENUE = "revenue:test-model"


def _balance(user) -> tuple[int, int, int]:
    wallet = wallet_balance(user=user)
    return wallet.balance, wallet.held, wallet.available


def _hold(user, amount=3_000, reference="job:1", minutes=10):
    return hold_create(
        user=user,
        amount=amount,
        reference=reference,
        expires_at=timezone.now() + timedelta(minutes=minutes),
    )


def _complete(topup, **overrides):
    kwargs = {
        "topup_id": topup.pk,
        "provider": "sandbox",
        "provider_reference": topup.provider_reference,
        "amount": topup.amount,
    }
    return topup_complete(**(kwargs | overrides))


# --- charges ----------------------------------------------------------------------------


def test_a_charge_moves_credits_to_revenue_and_records_the_balance_after(funded_user):
    transfer = wallet_charge(user=funded_user, amount=250, reference="p:1", revenue_account=REVENUE)
    assert _balance(funded_user) == (9_750, 0, 9_750)
    assert transfer.balance_after == 9_750
    assert transfer.kind == TransferKind.CHARGE
    assert account_balance(code=REVENUE) == 250
    assert Transfer.objects.get(pk=transfer.pk).balance_after == 9_750


def test_the_same_reference_charges_once(funded_user):
    first = wallet_charge(user=funded_user, amount=250, reference="p:1", revenue_account=REVENUE)
    again = wallet_charge(user=funded_user, amount=250, reference="p:1", revenue_account=REVENUE)
    assert again.pk == first.pk
    assert _balance(funded_user)[0] == 9_750
    assert Transfer.objects.filter(kind=TransferKind.CHARGE).count() == 1


def test_a_replayed_charge_is_returned_even_when_the_wallet_is_now_empty(funded_user):
    first = wallet_charge(user=funded_user, amount=10_000, reference="p:1", revenue_account=REVENUE)
    assert (
        wallet_charge(user=funded_user, amount=10_000, reference="p:1", revenue_account=REVENUE).pk
        == first.pk
    )


def test_a_reference_reused_for_another_amount_is_refused(funded_user):
    wallet_charge(user=funded_user, amount=250, reference="p:1", revenue_account=REVENUE)
    with pytest.raises(ReferenceConflict):
        wallet_charge(user=funded_user, amount=300, reference="p:1", revenue_account=REVENUE)
    assert _balance(funded_user)[0] == 9_750


def test_a_reference_reused_by_another_user_is_refused(funded_user, other_user):
    wallet_grant(user=other_user, amount=1_000, reason="test")
    wallet_charge(user=funded_user, amount=250, reference="p:1", revenue_account=REVENUE)
    with pytest.raises(ReferenceConflict):
        wallet_charge(user=other_user, amount=250, reference="p:1", revenue_account=REVENUE)
    assert _balance(other_user)[0] == 1_000


def test_it_refuses_to_charge_more_than_is_available(funded_user):
    _hold(funded_user, amount=9_000)
    with pytest.raises(InsufficientCredits) as refused:
        wallet_charge(user=funded_user, amount=1_001, reference="p:1", revenue_account=REVENUE)
    assert (refused.value.needed, refused.value.balance, refused.value.available) == (
        1_001,
        10_000,
        1_000,
    )
    assert _balance(funded_user) == (10_000, 9_000, 1_000)
    assert not Transfer.objects.filter(kind=TransferKind.CHARGE).exists()


def test_a_charge_can_spend_the_last_credit(funded_user):
    transfer = wallet_charge(
        user=funded_user, amount=10_000, reference="p:1", revenue_account=REVENUE
    )
    assert transfer.balance_after == 0


@pytest.mark.parametrize("amount", [0, -1, 1.5, True])
def test_it_refuses_charges_that_are_not_positive_integers(funded_user, amount):
    with pytest.raises(InvalidAmount):
        wallet_charge(user=funded_user, amount=amount, reference="p:1", revenue_account=REVENUE)
    assert _balance(funded_user)[0] == 10_000


def test_a_charge_joins_the_callers_transaction(funded_user):
    def charge_then_fail() -> None:
        with transaction.atomic():
            wallet_charge(user=funded_user, amount=250, reference="p:1", revenue_account=REVENUE)
            raise RuntimeError("the prediction record failed")

    with pytest.raises(RuntimeError):
        charge_then_fail()
    assert _balance(funded_user)[0] == 10_000
    assert not Transfer.objects.filter(kind=TransferKind.CHARGE).exists()


def test_an_insufficient_charge_inside_a_transaction_leaves_it_usable(funded_user):
    with transaction.atomic():
        with pytest.raises(InsufficientCredits):
            wallet_charge(user=funded_user, amount=20_000, reference="p:1", revenue_account=REVENUE)
        wallet_charge(user=funded_user, amount=100, reference="p:2", revenue_account=REVENUE)
    assert _balance(funded_user)[0] == 9_900


# --- grants -----------------------------------------------------------------------------


def test_a_grant_records_who_and_why(funded_user, other_user):
    transfer = wallet_grant(
        user=funded_user, amount=500, reason="  goodwill  ", created_by=other_user
    )
    assert (transfer.kind, transfer.created_by, transfer.description) == (
        TransferKind.GRANT,
        other_user,
        "goodwill",
    )
    assert _balance(funded_user)[0] == 10_500
    assert account_balance(code=PROMOTIONS) == -10_500


def test_a_negative_grant_takes_credits_back(funded_user):
    transfer = wallet_grant(user=funded_user, amount=-4_000, reason="mistake")
    assert transfer.kind == TransferKind.ADJUSTMENT
    assert transfer.signed_amount == -4_000
    assert _balance(funded_user)[0] == 6_000


def test_taking_back_never_goes_below_zero(funded_user):
    with pytest.raises(InsufficientCredits):
        wallet_grant(user=funded_user, amount=-10_001, reason="too much")
    assert _balance(funded_user)[0] == 10_000


def test_a_grant_with_a_reference_is_given_once(user):
    wallet_grant(user=user, amount=500, reason="welcome", reference="welcome")
    wallet_grant(user=user, amount=500, reason="welcome", reference="welcome")
    assert _balance(user)[0] == 500


def test_a_grant_needs_a_reason_and_an_amount(user):
    with pytest.raises(BillingError):
        wallet_grant(user=user, amount=500, reason=" ")
    with pytest.raises(InvalidAmount):
        wallet_grant(user=user, amount=0, reason="nothing")
    assert _balance(user)[0] == 0


# --- refunds ----------------------------------------------------------------------------


def test_a_refund_gives_back_part_of_a_charge_at_most_its_amount(funded_user):
    charge = wallet_charge(user=funded_user, amount=1_000, reference="p:1", revenue_account=REVENUE)
    transfer_refund(transfer_id=charge.pk, amount=600, reference="r:1", reason="bad result")
    with pytest.raises(RefundNotAllowed):
        transfer_refund(transfer_id=charge.pk, amount=401, reference="r:2", reason="again")
    transfer_refund(transfer_id=charge.pk, amount=400, reference="r:3", reason="rest")
    assert _balance(funded_user)[0] == 10_000
    assert account_balance(code=REVENUE) == 0


def test_a_refund_is_idempotent_by_reference(funded_user):
    charge = wallet_charge(user=funded_user, amount=1_000, reference="p:1", revenue_account=REVENUE)
    first = transfer_refund(transfer_id=charge.pk, amount=1_000, reference="r:1", reason="x")
    again = transfer_refund(transfer_id=charge.pk, amount=1_000, reference="r:1", reason="x")
    assert first.pk == again.pk
    assert _balance(funded_user)[0] == 10_000


def test_only_charges_can_be_refunded(funded_user):
    grant = Transfer.objects.get(kind=TransferKind.GRANT)
    with pytest.raises(RefundNotAllowed):
        transfer_refund(transfer_id=grant.pk, amount=1, reference="r:1", reason="x")
    with pytest.raises(RefundNotAllowed):
        transfer_refund(transfer_id=0, amount=1, reference="r:2", reason="x")


# --- holds ------------------------------------------------------------------------------


def test_a_hold_reserves_credits_that_cannot_be_spent(funded_user):
    _hold(funded_user, amount=9_500)
    assert _balance(funded_user) == (10_000, 9_500, 500)
    with pytest.raises(InsufficientCredits):
        _hold(funded_user, amount=501, reference="job:2")


def test_a_hold_is_created_once_per_reference(funded_user):
    first = _hold(funded_user)
    assert _hold(funded_user).pk == first.pk
    assert _balance(funded_user)[1] == 3_000
    with pytest.raises(ReferenceConflict):
        _hold(funded_user, amount=2_000)


def test_capturing_charges_part_and_releases_the_rest(funded_user):
    hold = _hold(funded_user)
    transfer = hold_capture(hold_id=hold.pk, amount=1_200, revenue_account=REVENUE)
    assert transfer.kind == TransferKind.HOLD_CAPTURE
    assert transfer.balance_after == 8_800
    assert _balance(funded_user) == (8_800, 0, 8_800)
    hold.refresh_from_db()
    assert (hold.status, hold.captured_amount) == (HoldStatus.CAPTURED, 1_200)


def test_capturing_twice_returns_the_first_outcome(funded_user):
    hold = _hold(funded_user)
    first = hold_capture(hold_id=hold.pk, amount=1_200, revenue_account=REVENUE)
    again = hold_capture(hold_id=hold.pk, amount=3_000, revenue_account=REVENUE)
    assert again.pk == first.pk
    assert _balance(funded_user) == (8_800, 0, 8_800)


def test_capturing_nothing_releases_the_hold(funded_user):
    hold = _hold(funded_user)
    assert hold_capture(hold_id=hold.pk, amount=0, revenue_account=REVENUE) is None
    assert _balance(funded_user) == (10_000, 0, 10_000)


def test_it_refuses_to_capture_more_than_the_hold(funded_user):
    hold = _hold(funded_user)
    for amount in (3_001, -1):
        with pytest.raises(InvalidAmount):
            hold_capture(hold_id=hold.pk, amount=amount, revenue_account=REVENUE)
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.ACTIVE


def test_a_released_hold_cannot_be_captured(funded_user):
    hold = _hold(funded_user)
    hold_release(hold_id=hold.pk)
    hold_release(hold_id=hold.pk)
    assert hold_capture(hold_id=hold.pk, amount=1_000, revenue_account=REVENUE) is None
    assert _balance(funded_user) == (10_000, 0, 10_000)
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.RELEASED


def test_an_unknown_hold_is_an_error(db):
    with pytest.raises(HoldNotFound):
        hold_release(hold_id=12345)


def test_expired_holds_are_released(funded_user):
    _hold(funded_user, reference="job:old", minutes=-1)
    live = _hold(funded_user, reference="job:live", minutes=10)
    assert holds_expire() == 1
    assert holds_expire() == 0
    assert _balance(funded_user) == (10_000, 3_000, 7_000)
    assert Hold.objects.get(reference="job:old").status == HoldStatus.EXPIRED
    assert Hold.objects.get(pk=live.pk).status == HoldStatus.ACTIVE


# --- top-ups ----------------------------------------------------------------------------


def test_a_completed_top_up_credits_the_wallet_once(user):
    topup = topup_create(user=user, amount=2_500)
    assert topup.state == TopUpState.PENDING
    assert topup.checkout_url
    assert _complete(topup).state == TopUpState.SUCCEEDED
    assert _complete(topup).state == TopUpState.SUCCEEDED
    assert _balance(user)[0] == 2_500
    assert account_balance(code=clearing_account("sandbox")) == -2_500


def test_a_late_confirmation_credits_nothing(user):
    topup = topup_create(user=user, amount=2_500)
    late = _complete(topup, now=topup.expires_at + timedelta(seconds=1))
    assert late.state == TopUpState.EXPIRED
    assert _complete(topup).state == TopUpState.EXPIRED
    assert _balance(user)[0] == 0


def test_a_failed_top_up_is_never_credited(user):
    topup = topup_create(user=user, amount=2_500)
    topup_fail(topup_id=topup.pk, provider="sandbox", provider_reference=topup.provider_reference)
    assert _complete(topup).state == TopUpState.FAILED
    assert _balance(user)[0] == 0


def test_a_confirmation_for_another_amount_or_checkout_is_refused(user):
    topup = topup_create(user=user, amount=2_500)
    with pytest.raises(TopUpMismatch):
        _complete(topup, amount=250_000)
    with pytest.raises(TopUpMismatch):
        _complete(topup, provider_reference="sbx_forged")
    with pytest.raises(TopUpNotFound):
        _complete(topup, topup_id=topup.pk + 1)
    assert _balance(user)[0] == 0


@pytest.mark.parametrize("amount", [0, -100, 499, 100_001])
def test_top_ups_are_bounded(user, amount, settings):
    settings.BILLING_TOPUP_MIN, settings.BILLING_TOPUP_MAX = 500, 100_000
    with pytest.raises(InvalidAmount):
        topup_create(user=user, amount=amount)


def test_pending_top_ups_expire(user):
    topup = topup_create(user=user, amount=2_500)
    assert topups_expire(now=topup.expires_at) == 1
    assert _complete(topup).state == TopUpState.EXPIRED


# --- low-balance email ------------------------------------------------------------------


def test_the_low_balance_email_is_queued_once_per_crossing_and_the_task_sends_it(
    funded_user, enqueued, django_capture_on_commit_callbacks
):
    wallet_set_low_balance_threshold(user=funded_user, threshold=5_000)
    with django_capture_on_commit_callbacks(execute=True):
        for n, amount in enumerate([4_000, 2_000, 1_000]):
            wallet_charge(
                user=funded_user, amount=amount, reference=f"p:{n}", revenue_account=REVENUE
            )
    # Queued, not sent: the request thread never talks to the mail server.
    assert enqueued == [("billing.tasks.send_low_balance_email", funded_user.pk, 4_000)]
    assert mail.outbox == []

    send_low_balance_email(*enqueued[0][1:])

    assert len(mail.outbox) == 1
    assert "40.00" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        wallet_grant(user=funded_user, amount=5_000, reason="refill")
        wallet_charge(user=funded_user, amount=4_000, reference="p:9", revenue_account=REVENUE)
    assert len(enqueued) == 2


def test_no_low_balance_email_without_a_threshold(
    funded_user, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        wallet_charge(user=funded_user, amount=9_999, reference="p:1", revenue_account=REVENUE)
    assert enqueued == []
    assert mail.outbox == []


# --- reconciliation ---------------------------------------------------------------------


def test_reconcile_is_clean_after_every_kind_of_movement(funded_user):
    charge = wallet_charge(user=funded_user, amount=100, reference="p:1", revenue_account=REVENUE)
    transfer_refund(transfer_id=charge.pk, amount=50, reference="r:1", reason="x")
    hold = _hold(funded_user)
    hold_capture(hold_id=hold.pk, amount=10, revenue_account=REVENUE)
    _hold(funded_user, reference="job:2", amount=7)
    assert ledger_reconcile().clean


def test_reconcile_finds_a_tampered_wallet(funded_user):
    Account.objects.filter(user=funded_user).update(balance=9_000, held=5)
    result = ledger_reconcile()
    assert not result.clean
    assert {(d.field, d.cached, d.computed) for d in result.differences} == {
        ("balance", 9_000, 10_000),
        ("held", 5, 0),
    }
