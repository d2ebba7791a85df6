"""Two races on PostgreSQL: a refund retried while the first is committing, and a top-up
whose payment provider answers slowly. Each thread has its own connection."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from billing.models import TopUp, TopUpState, Transfer, TransferKind
from billing.providers import Checkout
from billing.providers.sandbox import SandboxProvider
from billing.selectors import ledger_reconcile, wallet_balance
from billing.services.refunds import transfer_refund
from billing.services.topups import topup_create
from billing.services.wallets import wallet_charge, wallet_grant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wait_until_a_session_waits_for_a_lock(seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("no session waited for a lock")


def _in_thread(function):
    def run():
        try:
            return function()
        except Exception as exc:  # the test inspects what the thread got
            return exc
        finally:
            connection.close()

    return run


def test_a_retry_racing_the_first_full_refund_gets_that_refund():
    user = UserFactory()
    wallet_grant(user=user, amount=1_000, reason="funds")
    charge = wallet_charge(user=user, amount=500, reference="p:1", revenue_account="revenue:m")
    first_refunded, retry_is_waiting = threading.Event(), threading.Event()

    def refund():
        return transfer_refund(transfer_id=charge.pk, amount=500, reference="r:1", reason="x")

    def first():
        with transaction.atomic():
            result = refund()
            first_refunded.set()
            retry_is_waiting.wait(10)  # commit only once the retry is queued behind us
        return result

    def retry():
        first_refunded.wait(10)
        return refund()

    with ThreadPoolExecutor(2) as pool:
        first_result = pool.submit(_in_thread(first))
        retry_result = pool.submit(_in_thread(retry))
        first_refunded.wait(10)
        _wait_until_a_session_waits_for_a_lock()
        retry_is_waiting.set()
        results = first_result.result(), retry_result.result()

    assert all(isinstance(result, Transfer) for result in results), results
    assert results[0].pk == results[1].pk
    assert Transfer.objects.filter(kind=TransferKind.REFUND).count() == 1
    assert wallet_balance(user=user).balance == 1_000
    assert ledger_reconcile().clean


class SlowProvider(SandboxProvider):
    """A provider that answers only when the test lets it, reporting what it saw."""

    called = threading.Event()
    answer = threading.Event()
    seen: dict[str, object] = {}

    def start_checkout(self, topup: TopUp) -> Checkout:
        SlowProvider.seen["in_transaction"] = connection.in_atomic_block
        SlowProvider.called.set()
        SlowProvider.answer.wait(10)
        return super().start_checkout(topup)


class FailingProvider(SandboxProvider):
    def start_checkout(self, topup: TopUp) -> Checkout:
        raise ConnectionError("the provider is down")


def test_a_slow_provider_is_called_outside_any_transaction_with_the_top_up_reserved(settings):
    settings.BILLING_PAYMENT_PROVIDERS = {"sandbox": f"{__name__}.SlowProvider"}
    user = UserFactory()

    with ThreadPoolExecutor(1) as pool:
        started = pool.submit(_in_thread(lambda: topup_create(user=user, amount=2_500)))
        assert SlowProvider.called.wait(10)
        # While the provider thinks, another connection sees the reservation and can
        # take the user's top-ups' row locks without waiting.
        with transaction.atomic():
            reserved = TopUp.objects.select_for_update(nowait=True).get(user=user)
        SlowProvider.answer.set()
        topup = started.result()

    assert SlowProvider.seen["in_transaction"] is False
    assert (reserved.state, reserved.provider_reference) == (TopUpState.PENDING, "")
    assert isinstance(topup, TopUp)
    stored = TopUp.objects.get(pk=topup.pk)
    assert stored.provider_reference.startswith("sbx_")
    assert stored.state == TopUpState.PENDING


def test_a_provider_that_fails_leaves_the_top_up_failed_not_pending(settings):
    settings.BILLING_PAYMENT_PROVIDERS = {"sandbox": f"{__name__}.FailingProvider"}
    user = UserFactory()

    with pytest.raises(ConnectionError):
        topup_create(user=user, amount=2_500)

    assert list(TopUp.objects.filter(user=user).values_list("state", flat=True)) == ["failed"]
