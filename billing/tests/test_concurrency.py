"""Real concurrency on PostgreSQL: many connections racing for one wallet.

Each thread has its own database connection (Django connections are per thread) and closes
it when done; `transaction=True` so the threads see committed rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from billing.errors import InsufficientCredits, RefundNotAllowed
from billing.models import Account, Transfer, TransferKind
from billing.providers.sandbox import SandboxProvider
from billing.selectors import WalletBalance, ledger_reconcile, wallet_balance
from billing.services.holds import hold_capture, hold_create, holds_expire
from billing.services.refunds import transfer_refund
from billing.services.topups import topup_callback_process, topup_create
from billing.services.wallets import wallet_charge, wallet_grant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REVENUE = "revenue:race"


def _race(action: Callable[[int], object], threads: int) -> list[object]:
    """Run action(0..threads-1) in parallel threads released at the same instant; return
    each result or the exception it raised."""
    barrier = threading.Barrier(threads)

    def run(n: int) -> object:
        try:
            barrier.wait()
            return action(n)
        except Exception as exc:  # the caller inspects what each thread got
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, range(threads)))


def _wallet_with(credits: int):
    user = UserFactory()
    wallet_grant(user=user, amount=credits * 100, reason="test funds")
    return user


def test_fifty_clients_spending_one_credit_from_ten_leave_exactly_zero():
    user = _wallet_with(10)
    results = _race(
        lambda n: wallet_charge(
            user=user, amount=100, reference=f"race:{n}", revenue_account=REVENUE
        ),
        threads=50,
    )
    succeeded = [r for r in results if isinstance(r, Transfer)]
    refused = [r for r in results if isinstance(r, InsufficientCredits)]
    assert (len(succeeded), len(refused)) == (10, 40)
    assert wallet_balance(user=user).balance == 0
    assert sorted(t.balance_after for t in succeeded) == list(range(0, 1000, 100))
    assert ledger_reconcile().clean


def test_the_same_charge_sent_by_twenty_clients_at_once_is_charged_once():
    user = _wallet_with(10)
    results = _race(
        lambda n: wallet_charge(
            user=user, amount=100, reference="retried", revenue_account=REVENUE
        ),
        threads=20,
    )
    assert all(isinstance(r, Transfer) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert wallet_balance(user=user).balance == 900
    assert ledger_reconcile().clean


def test_concurrent_captures_of_one_hold_capture_it_once():
    user = _wallet_with(10)
    hold = hold_create(
        user=user,
        amount=600,
        reference="job:race",
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    results = _race(
        lambda n: hold_capture(hold_id=hold.pk, amount=100 + n, revenue_account=REVENUE),
        threads=20,
    )
    assert all(isinstance(r, Transfer) for r in results), results
    assert len({r.pk for r in results}) == 1
    captured = results[0].amount
    assert wallet_balance(user=user) == WalletBalance(
        balance=1000 - captured, held=0, available=1000 - captured
    )
    assert ledger_reconcile().clean


def test_concurrent_captures_of_many_holds_on_one_wallet_all_count():
    user = _wallet_with(10)
    expires = timezone.now() + timedelta(minutes=5)
    holds = [
        hold_create(user=user, amount=100, reference=f"job:{n}", expires_at=expires)
        for n in range(10)
    ]
    _race(
        lambda n: hold_capture(hold_id=holds[n].pk, amount=50, revenue_account=REVENUE),
        threads=10,
    )
    assert wallet_balance(user=user).balance == 500
    assert wallet_balance(user=user).held == 0
    assert ledger_reconcile().clean


def test_holds_and_charges_racing_never_overspend():
    user = _wallet_with(10)
    expires = timezone.now() + timedelta(minutes=5)

    def spend(n: int) -> object:
        if n % 2:
            return hold_create(user=user, amount=100, reference=f"job:{n}", expires_at=expires)
        return wallet_charge(user=user, amount=100, reference=f"p:{n}", revenue_account=REVENUE)

    results = _race(spend, threads=30)
    assert sum(not isinstance(r, Exception) for r in results) == 10
    wallet = wallet_balance(user=user)
    assert wallet.available == 0
    assert ledger_reconcile().clean


def test_a_top_up_callback_delivered_twenty_times_at_once_credits_once():
    user = UserFactory()
    topup = topup_create(user=user, amount=2_500)
    body, headers = SandboxProvider().signed_callback(topup, paid=True)
    results = _race(
        lambda n: topup_callback_process(provider="sandbox", body=body, headers=headers),
        threads=20,
    )
    assert all(r.state == "succeeded" for r in results), results
    assert wallet_balance(user=user).balance == 2_500
    assert Transfer.objects.filter(kind=TransferKind.TOPUP).count() == 1
    assert ledger_reconcile().clean


def test_without_the_guard_concurrent_debits_lose_updates():
    """The race the guarded UPDATE prevents: read the balance, check, write it back."""
    user = _wallet_with(10)
    wallet_id = Account.objects.get(user=user).pk
    barrier = threading.Barrier(10)

    def naive_debit(n: int) -> bool:
        balance = Account.objects.values_list("balance", flat=True).get(pk=wallet_id)
        barrier.wait()  # every client has read 1000 before anyone writes
        if balance < 100:
            return False
        Account.objects.filter(pk=wallet_id).update(balance=balance - 100)
        return True

    results = _race(naive_debit, threads=10)
    assert sum(r is True for r in results) == 10
    # Ten debits "succeeded" but only one is reflected: nine updates were lost.
    assert wallet_balance(user=user).balance == 900


def test_concurrent_partial_refunds_never_exceed_the_charge():
    user = _wallet_with(10)
    charge = wallet_charge(user=user, amount=500, reference="p:refunded", revenue_account=REVENUE)
    results = _race(
        lambda n: transfer_refund(
            transfer_id=charge.pk, amount=100, reference=f"r:{n}", reason="race"
        ),
        threads=12,
    )
    assert sum(isinstance(r, Transfer) for r in results) == 5
    assert all(isinstance(r, Transfer | RefundNotAllowed) for r in results), results
    assert wallet_balance(user=user).balance == 1000
    assert ledger_reconcile().clean


def test_expiry_racing_captures_settles_each_hold_once():
    user = _wallet_with(10)
    past = timezone.now() - timedelta(seconds=1)
    holds = [
        hold_create(user=user, amount=100, reference=f"job:{n}", expires_at=past) for n in range(5)
    ]

    def settle(n: int) -> object:
        if n < 5:
            return hold_capture(hold_id=holds[n].pk, amount=60, revenue_account=REVENUE)
        return holds_expire()

    results = _race(settle, threads=8)
    captured = sum(isinstance(r, Transfer) for r in results[:5])
    expired = sum(results[5:])
    assert captured + expired == 5
    assert wallet_balance(user=user) == WalletBalance(
        balance=1000 - 60 * captured, held=0, available=1000 - 60 * captured
    )
    assert ledger_reconcile().clean
