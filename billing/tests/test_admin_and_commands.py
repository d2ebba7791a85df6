from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from accounts.tests.factories import UserFactory
from billing.models import Account, Hold, HoldStatus, Transfer, TransferKind
from billing.selectors import wallet_balance
from billing.services.holds import hold_create
from billing.services.wallets import wallet_grant


@pytest.fixture
def operator(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def _grant_action(admin_client, wallet: Account, **data):
    return admin_client.post(
        reverse("admin:billing_account_changelist"),
        {"action": "grant_credits", "_selected_action": [wallet.pk], **data},
    )


def test_an_operator_grants_credits_from_the_admin_with_a_reason(admin_client, user, operator):
    wallet = Account.objects.get(user=user)
    form = _grant_action(admin_client, wallet)
    assert form.status_code == 200
    assert b"reason" in form.content.lower()
    _grant_action(admin_client, wallet, apply="1", amount="12.50", reason="support ticket 7")
    transfer = Transfer.objects.get(wallet=wallet)
    assert (transfer.amount, transfer.created_by, transfer.description) == (
        1_250,
        operator,
        "support ticket 7",
    )


def test_the_admin_refuses_a_grant_without_a_reason_or_below_zero(admin_client, user):
    wallet = Account.objects.get(user=user)
    _grant_action(admin_client, wallet, apply="1", amount="12.50", reason="")
    _grant_action(admin_client, wallet, apply="1", amount="-1.00", reason="take back")
    assert wallet_balance(user=user).balance == 0
    assert not Transfer.objects.exists()


def test_transfers_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, user):
    transfer = wallet_grant(user=user, amount=100, reason="x")
    assert admin_client.get(reverse("admin:billing_transfer_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:billing_transfer_add")).status_code == 403
    delete = reverse("admin:billing_transfer_delete", args=[transfer.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:billing_transfer_change", args=[transfer.pk])
    admin_client.post(change, {"amount": 999_999})
    assert Transfer.objects.get(pk=transfer.pk).amount == 100


def test_wallet_balances_are_read_only_in_the_admin_and_the_threshold_is_typed_in_credits(
    admin_client, user
):
    wallet = Account.objects.get(user=user)
    change = reverse("admin:billing_account_change", args=[wallet.pk])
    admin_client.post(change, {"balance": 100_000, "held": 0, "low_balance_threshold": "5"})
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.low_balance_threshold) == (0, 500)


def test_an_operator_releases_a_hold_from_the_admin(admin_client, user):
    wallet_grant(user=user, amount=1_000, reason="x")
    hold = hold_create(user=user, amount=500, reference="job:1", expires_at=timezone.now())
    admin_client.post(
        reverse("admin:billing_hold_changelist"),
        {"action": "release", "_selected_action": [hold.pk]},
    )
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.RELEASED
    assert wallet_balance(user=user).held == 0


def test_billing_grant_gives_and_takes_back(user, operator):
    call_command("billing_grant", user.email, "25", reason="promo", operator=operator.email)
    call_command("billing_grant", user.email, "-5.50", reason="correction")
    assert wallet_balance(user=user).balance == 1_950
    assert Transfer.objects.get(kind=TransferKind.GRANT).created_by == operator


@pytest.mark.parametrize("credits", ["-20", "abc", "0", "1.001"])
def test_billing_grant_refuses_bad_amounts_and_going_below_zero(user, credits):
    call_command("billing_grant", user.email, "10", reason="promo")
    with pytest.raises(CommandError):
        call_command("billing_grant", user.email, credits, reason="bad")
    assert wallet_balance(user=user).balance == 1_000


def test_billing_grant_refuses_an_unknown_email(db):
    with pytest.raises(CommandError):
        call_command("billing_grant", "nobody@example.com", "10", reason="promo")


def test_billing_reconcile_passes_a_clean_ledger_and_lists_differences(user, capsys):
    wallet_grant(user=user, amount=1_000, reason="x")
    call_command("billing_reconcile")
    Account.objects.filter(user=user).update(balance=2_000)
    with pytest.raises(CommandError):
        call_command("billing_reconcile")
    assert (
        f"wallet of {user.email}: balance is 20.00, transfers say 10.00" in capsys.readouterr().out
    )


def test_the_expiry_jobs_are_scheduled(db):
    assert set(Schedule.objects.values_list("func", flat=True)) >= {
        "billing.tasks.expire_holds",
        "billing.tasks.expire_topups",
    }
