"""Property-based: any sequence of movements keeps the books straight."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from accounts.tests.factories import UserFactory
from billing.errors import InsufficientCredits, RefundNotAllowed
from billing.models import Account, Transfer
from billing.selectors import ledger_reconcile, wallet_balance
from billing.services.holds import hold_capture, hold_create, hold_release
from billing.services.refunds import transfer_refund
from billing.services.topups import topup_complete, topup_create
from billing.services.wallets import wallet_charge, wallet_grant

REVENUE = "revenue:property"
references = itertools.count()
amounts = st.integers(min_value=1, max_value=4_000)


class Ledger(RuleBasedStateMachine):
    """Drives one wallet through random movements beside a plain Python model of it."""

    def __init__(self) -> None:
        super().__init__()
        self.user = UserFactory()
        self.balance = 0
        self.held = 0
        self.holds: dict[int, int] = {}  # active hold id -> amount
        self.charges: dict[int, int] = {}  # charge id -> amount still refundable

    def _ref(self) -> str:
        return f"prop:{next(references)}"

    @rule(amount=st.integers(min_value=500, max_value=10_000))
    def top_up(self, amount: int) -> None:
        topup = topup_create(user=self.user, amount=amount)
        topup_complete(
            topup_id=topup.pk,
            provider="sandbox",
            provider_reference=topup.provider_reference,
            amount=amount,
        )
        self.balance += amount

    @rule(amount=amounts, replay=st.booleans())
    def charge(self, amount: int, replay: bool) -> None:
        reference = self._ref()
        try:
            transfer = wallet_charge(
                user=self.user, amount=amount, reference=reference, revenue_account=REVENUE
            )
        except InsufficientCredits:
            assert amount > self.balance - self.held
            return
        assert amount <= self.balance - self.held
        self.balance -= amount
        self.charges[transfer.pk] = amount
        if replay:
            again = wallet_charge(
                user=self.user, amount=amount, reference=reference, revenue_account=REVENUE
            )
            assert again.pk == transfer.pk

    @rule(amount=amounts)
    def hold(self, amount: int) -> None:
        try:
            created = hold_create(
                user=self.user,
                amount=amount,
                reference=self._ref(),
                expires_at=timezone.now() + timedelta(minutes=5),
            )
        except InsufficientCredits:
            assert amount > self.balance - self.held
            return
        self.held += amount
        self.holds[created.pk] = amount

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), release=st.booleans())
    def settle(self, data: st.DataObject, release: bool) -> None:
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        amount = self.holds.pop(hold_id)
        self.held -= amount
        if release:
            hold_release(hold_id=hold_id)
            return
        captured = data.draw(st.integers(min_value=0, max_value=amount))
        transfer = hold_capture(hold_id=hold_id, amount=captured, revenue_account=REVENUE)
        self.balance -= captured
        if transfer is not None:
            self.charges[transfer.pk] = captured

    @precondition(lambda self: self.charges)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        charge_id = data.draw(st.sampled_from(sorted(self.charges)))
        amount = data.draw(st.integers(min_value=1, max_value=self.charges[charge_id] + 50))
        try:
            transfer_refund(
                transfer_id=charge_id, amount=amount, reference=self._ref(), reason="prop"
            )
        except RefundNotAllowed:
            assert amount > self.charges[charge_id]
            return
        self.charges[charge_id] -= amount
        self.balance += amount

    @rule(amount=st.integers(min_value=-4_000, max_value=4_000).filter(bool))
    def grant(self, amount: int) -> None:
        try:
            wallet_grant(user=self.user, amount=amount, reason="prop")
        except InsufficientCredits:
            assert -amount > self.balance - self.held
            return
        self.balance += amount

    @invariant()
    def cached_balance_matches_the_model_and_the_transfers(self) -> None:
        wallet = Account.objects.get(user=self.user)
        assert wallet_balance(user=self.user).balance == self.balance == wallet.balance
        assert wallet.held == self.held
        assert 0 <= wallet.held <= wallet.balance
        credits = Transfer.objects.filter(credit=wallet).aggregate(s=Sum("amount"))["s"] or 0
        debits = Transfer.objects.filter(debit=wallet).aggregate(s=Sum("amount"))["s"] or 0
        assert credits - debits == wallet.balance

    def teardown(self) -> None:
        # The whole-ledger check reads every account, so it runs once per sequence; the
        # invariant above checks this wallet after every step.
        result = ledger_reconcile()
        assert result.differences == []
        assert result.total == 0


@pytest.mark.django_db
def test_random_movements_keep_the_books_straight():
    Ledger.TestCase.settings = settings(
        max_examples=20,
        stateful_step_count=20,
        deadline=None,
        database=None,  # no example files in the worktree
        suppress_health_check=[HealthCheck.too_slow],
    )
    Ledger.TestCase().runTest()
