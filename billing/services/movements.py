"""The steps every movement is made of: a guarded wallet change plus its transfer, undone
when the reference was used before. Only the other modules of `billing.services` use these.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from accounts.models import User
from billing.errors import InsufficientCredits, ReferenceConflict
from billing.ledger import WalletRow, transfer_insert, wallet_credit, wallet_debit
from billing.models import Account, Transfer
from billing.money import InvalidAmount
from billing.notifications import low_balance_email_enqueue
from billing.statement_lines import StatementLine


def existing_transfer(*, kind: str, reference: str) -> Transfer | None:
    return Transfer.objects.filter(kind=kind, reference=reference).first()


def _same_movement(existing: Transfer, *, user: User, amount: int) -> Transfer:
    if existing.wallet.user_id != user.pk or existing.amount != amount:
        raise ReferenceConflict(
            f"Reference {existing.reference!r} was already used for another {existing.kind}."
        )
    return existing


def require_positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount(f"Amount must be a positive integer of hundredths, not {amount!r}.")


def insufficient_credits(*, user: User, amount: int) -> InsufficientCredits:
    wallet = Account.objects.filter(user=user).first()
    balance = (wallet.balance or 0) if wallet is not None else 0
    held = (wallet.held or 0) if wallet is not None else 0
    return InsufficientCredits(needed=amount, balance=balance, available=balance - held)


def after_debit(*, user_id: int, wallet: WalletRow, amount: int) -> None:
    threshold = wallet.low_balance_threshold
    # A debit "crosses" when it takes the balance from at or above the threshold to below it.
    # Debits on one wallet are serialised by its row lock, so exactly one debit crosses per
    # dip and the email goes once per crossing without storing any flag.
    if threshold is not None and wallet.balance < threshold <= wallet.balance + amount:
        transaction.on_commit(
            partial(low_balance_email_enqueue, user_id=user_id, balance=wallet.balance)
        )


def debit_to_system(
    *,
    user: User,
    amount: int,
    kind: str,
    reference: str,
    system_code: str,
    line: StatementLine | None,
    description: str,
    created_by: User | None,
) -> Transfer:
    require_positive(amount)
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
                line=line,
                description=description,
                created_by_id=created_by.pk if created_by else None,
            )
            if transfer is not None:
                after_debit(user_id=user.pk, wallet=wallet, amount=amount)
                return transfer
            # The reference was used before: give the credits back, return the first one.
            wallet_credit(wallet_id=wallet.id, amount=amount)
        existing = existing_transfer(kind=kind, reference=reference)
    if existing is None:
        raise insufficient_credits(user=user, amount=amount)
    return _same_movement(existing, user=user, amount=amount)


def credit_from_system(
    *,
    wallet_id: int,
    amount: int,
    kind: str,
    reference: str,
    system: int | str,
    line: StatementLine | None,
    description: str,
    created_by: User | None,
    refund_of_id: int | None = None,
) -> Transfer:
    require_positive(amount)
    with transaction.atomic(savepoint=False):
        wallet = wallet_credit(wallet_id=wallet_id, amount=amount)
        transfer = transfer_insert(
            kind=kind,
            reference=reference,
            wallet=wallet,
            system=system,
            outgoing=False,
            amount=amount,
            line=line,
            description=description,
            created_by_id=created_by.pk if created_by else None,
            refund_of_id=refund_of_id,
        )
        if transfer is not None:
            return transfer
        wallet_credit(wallet_id=wallet_id, amount=-amount)
        existing = existing_transfer(kind=kind, reference=reference)
    assert existing is not None  # the INSERT just conflicted with it
    if existing.wallet_id != wallet_id or existing.amount != amount:
        raise ReferenceConflict(
            f"Reference {reference!r} was already used for another {existing.kind}."
        )
    return existing
