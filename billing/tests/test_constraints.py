from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.deletion import ProtectedError

from billing.models import Account, Transfer


def _refused(**changes) -> bool:
    try:
        with transaction.atomic():
            Account.objects.filter(user__isnull=False).update(**changes)
    except IntegrityError:
        return True
    return False


def test_a_new_user_gets_an_empty_wallet(user):
    wallet = Account.objects.get(user=user)
    assert (wallet.balance, wallet.held, wallet.code) == (0, 0, None)


def test_the_database_refuses_a_negative_balance(funded_user):
    assert _refused(balance=F("balance") - 10_001)
    assert Account.objects.get(user=funded_user).balance == 10_000


def test_the_database_refuses_negative_held(funded_user):
    assert _refused(held=-1)


def test_the_database_refuses_held_above_balance(funded_user):
    assert _refused(held=10_001)
    assert not _refused(held=10_000)


def test_a_system_account_cannot_cache_a_balance(db):
    with pytest.raises(IntegrityError):
        Account.objects.create(code="revenue:x", balance=0, held=0)


def test_a_wallet_cannot_also_be_a_system_account(user):
    with pytest.raises(IntegrityError):
        Account.objects.filter(user=user).update(code="promotions")


def test_transfers_refuse_non_positive_amounts(funded_user):
    transfer = Transfer.objects.get()
    for amount in (0, -5):
        with pytest.raises(IntegrityError), transaction.atomic():
            Transfer.objects.filter(pk=transfer.pk).update(amount=amount)


def test_a_reference_is_unique_per_kind(funded_user):
    transfer = Transfer.objects.get()
    with pytest.raises(IntegrityError):
        Transfer.objects.create(
            kind=transfer.kind,
            reference=transfer.reference,
            debit=transfer.debit,
            credit=transfer.credit,
            wallet=transfer.wallet,
            amount=1,
            balance_after=0,
        )


def test_a_user_without_money_history_can_be_deleted(user):
    user.delete()
    assert not Account.objects.filter(user__isnull=False).exists()


def test_a_user_with_money_history_cannot_be_deleted(funded_user):
    with pytest.raises(ProtectedError):
        funded_user.delete()
