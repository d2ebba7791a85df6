"""The admin and money: every amount an operator reads or types is in credits, and saving
a wallet's settings can never write a stale balance back over a charge."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from billing.admin import AccountAdmin
from billing.models import Account
from billing.selectors import ledger_reconcile, wallet_balance
from billing.services.holds import hold_create
from billing.services.topups import topup_create
from billing.services.wallets import wallet_charge, wallet_grant
from billing.system_accounts import revenue_account


@pytest.fixture
def operator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.django_db
def test_a_transfer_a_wallet_a_hold_and_a_top_up_show_credits_never_hundredths(
    operator_client, user
):
    grant = wallet_grant(user=user, amount=5_375, reason="support")
    hold = hold_create(user=user, amount=1_500, reference="job:7", expires_at=timezone.now())
    topup = topup_create(user=user, amount=2_500)
    wallet = Account.objects.get(user=user)
    pages = {
        "transfer": (reverse("admin:billing_transfer_change", args=[grant.pk]), ["53.75"]),
        "wallet": (
            reverse("admin:billing_account_change", args=[wallet.pk]),
            ["53.75", "15.00"],  # balance, held
        ),
        "hold": (reverse("admin:billing_hold_change", args=[hold.pk]), ["15.00"]),
        "top-up": (reverse("admin:billing_topup_change", args=[topup.pk]), ["25.00"]),
        "transfers": (reverse("admin:billing_transfer_changelist"), ["53.75"]),
        "wallets": (reverse("admin:billing_account_changelist"), ["53.75", "15.00"]),
        "holds": (reverse("admin:billing_hold_changelist"), ["15.00"]),
        "top-ups": (reverse("admin:billing_topup_changelist"), ["25.00"]),
    }
    for name, (url, amounts) in pages.items():
        text = _text(operator_client.get(url))
        for amount in amounts:
            assert f"{amount} credits" in text, name
        for hundredths in ("5375", "1500", "2500"):
            assert not re.search(rf"\b{hundredths}\b", text), (name, hundredths)


@pytest.mark.django_db
def test_the_wallet_form_shows_and_takes_the_threshold_in_credits(operator_client, user):
    wallet = Account.objects.get(user=user)
    wallet_settings_url = reverse("admin:billing_account_change", args=[wallet.pk])
    operator_client.post(wallet_settings_url, {"low_balance_threshold": "5"})

    page = operator_client.get(wallet_settings_url).content.decode()

    assert Account.objects.get(pk=wallet.pk).low_balance_threshold == 500
    assert 'name="low_balance_threshold" value="5.00"' in page
    assert "5.00 credits" in _text(operator_client.get(reverse("admin:billing_account_changelist")))


def _charge_on_another_connection(user, amount: int) -> None:
    try:
        wallet_charge(
            user=user,
            amount=amount,
            reference="prediction:race",
            revenue_account=revenue_account("m"),
        )
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_charge_committed_while_an_operator_edits_the_wallet_survives_the_save(
    operator_client, monkeypatch
):
    """The admin reads the wallet, a paid prediction's charge commits, the admin saves."""
    user = UserFactory()
    wallet_grant(user=user, amount=10_000, reason="funds")
    wallet = Account.objects.get(user=user)
    read_wallet = AccountAdmin.get_object

    def read_then_let_a_charge_commit(self, request, object_id, from_field=None):
        obj = read_wallet(self, request, object_id, from_field)
        if request.method == "POST":
            charge = threading.Thread(target=_charge_on_another_connection, args=(user, 3_000))
            charge.start()
            charge.join()
        return obj

    monkeypatch.setattr(AccountAdmin, "get_object", read_then_let_a_charge_commit)
    response = operator_client.post(
        reverse("admin:billing_account_change", args=[wallet.pk]), {"low_balance_threshold": "5"}
    )

    assert response.status_code == 302
    assert wallet_balance(user=user).balance == 7_000
    assert Account.objects.get(pk=wallet.pk).low_balance_threshold == 500
    assert ledger_reconcile().clean


@pytest.mark.django_db
def test_a_holds_page_has_nothing_to_save_so_it_cannot_undo_a_capture(operator_client, user):
    from billing.models import Hold, HoldStatus
    from billing.services.holds import hold_capture

    wallet_grant(user=user, amount=1_000, reason="funds")
    hold = hold_create(user=user, amount=500, reference="job:9", expires_at=timezone.now())
    change = reverse("admin:billing_hold_change", args=[hold.pk])
    page = operator_client.get(change)  # read while active
    hold_capture(hold_id=hold.pk, amount=300, revenue_account=revenue_account("m"))

    response = operator_client.post(change, {"status": "active", "amount": "500"})

    assert page.status_code == 200
    assert response.status_code == 403
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.CAPTURED
    assert ledger_reconcile().clean
