"""A user's wallet: opening it, charging it, operator grants, its settings (the low-balance
threshold)."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, connection, transaction

from accounts.models import User
from billing.errors import BillingError
from billing.ledger import AttachedRow, attached_row_insert, charge_with_row
from billing.models import Account, LineKind, Transfer, TransferKind
from billing.money import InvalidAmount
from billing.services.movements import (
    after_debit,
    credit_from_system,
    debit_to_system,
    insufficient_credits,
    require_positive,
)
from billing.statement_lines import StatementLine
from billing.system_accounts import PROMOTIONS


def wallet_open(*, user: User) -> Account:
    """Open the user's wallet (empty); returns the existing one if it is already open."""
    return Account.objects.get_or_create(user=user, defaults={"balance": 0, "held": 0})[0]


def wallet_id_of(user: User) -> int:
    """The id of the user's wallet, opened first if it is not yet (one query when it is)."""
    wallet_id = Account.objects.filter(user=user).values_list("id", flat=True).first()
    if wallet_id is None:
        wallet_id = wallet_open(user=user).id
    return wallet_id


def wallet_charge(
    *,
    user: User,
    amount: int,
    reference: str,
    revenue_account: str,
    line: StatementLine | None = None,
    description: str = "",
    created_by: User | None = None,
) -> Transfer:
    """Debit `amount` from the user's wallet to the system account `revenue_account`;
    `line` says what for on the statement.

    One guarded UPDATE and one INSERT; joins the caller's transaction if there is one.
    Raises InsufficientCredits when `balance - held < amount`. The same reference again
    returns the first transfer and charges nothing.
    """
    return debit_to_system(
        user=user,
        amount=amount,
        kind=TransferKind.CHARGE,
        reference=reference,
        system_code=revenue_account,
        line=line,
        description=description,
        created_by=created_by,
    )


def wallet_charge_with_row(
    *,
    user: User,
    amount: int,
    reference: str,
    revenue_account: str,
    line: StatementLine,
    row: AttachedRow,
) -> Transfer:
    """`wallet_charge`, committed together with the caller's `row` (a prediction record,
    whose balance column receives the balance after the debit): both or neither.

    On PostgreSQL outside a transaction: one statement, which is its own transaction and
    is committed when this returns (`ledger.charge_with_row`). Inside a caller's
    transaction, on SQLite, or when that statement failed as a whole (IntegrityError:
    nothing was written), the charge and the row are separate statements in one
    transaction, which decide as `wallet_charge` does and create a revenue account on its
    first use. Raises InsufficientCredits.
    """
    require_positive(amount)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        transfer = _charged_in_one_statement(
            user=user,
            amount=amount,
            reference=reference,
            revenue_account=revenue_account,
            line=line,
            row=row,
        )
        if transfer is not None:
            return transfer
    with transaction.atomic():
        transfer = wallet_charge(
            user=user,
            amount=amount,
            reference=reference,
            revenue_account=revenue_account,
            line=line,
        )
        attached_row_insert(row, balance=transfer.balance_after)
    return transfer


def _charged_in_one_statement(
    *,
    user: User,
    amount: int,
    reference: str,
    revenue_account: str,
    line: StatementLine,
    row: AttachedRow,
) -> Transfer | None:
    """`ledger.charge_with_row`; None when the statement failed as a whole (nothing was
    written), for separate statements to decide. Raises InsufficientCredits."""
    try:
        charged = charge_with_row(
            user_id=user.pk,
            amount=amount,
            kind=TransferKind.CHARGE,
            reference=reference,
            system_code=revenue_account,
            line=line,
            description="",
            row=row,
        )
    except IntegrityError:
        return None
    if charged is None:
        raise insufficient_credits(user=user, amount=amount)
    wallet, transfer = charged
    after_debit(user_id=user.pk, wallet=wallet, amount=amount)
    return transfer


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
        return debit_to_system(
            user=user,
            amount=-amount,
            kind=TransferKind.ADJUSTMENT,
            reference=reference,
            system_code=PROMOTIONS,
            line=StatementLine(LineKind.ADJUSTMENT),
            description=reason.strip(),
            created_by=created_by,
        )
    return credit_from_system(
        wallet_id=wallet_id_of(user),
        amount=amount,
        kind=TransferKind.GRANT,
        reference=reference,
        system=PROMOTIONS,
        line=StatementLine(LineKind.GRANT),
        description=reason.strip(),
        created_by=created_by,
    )


def wallet_set_low_balance_threshold(*, user: User, threshold: int | None) -> Account:
    """Set (or, with None, turn off) the balance below which the owner gets an email."""
    return wallet_settings_save(wallet_id=wallet_id_of(user), low_balance_threshold=threshold)


def wallet_settings_save(*, wallet_id: int, low_balance_threshold: int | None) -> Account:
    """Save a wallet's editable settings (the low-balance threshold) and nothing else.

    One UPDATE of those columns only: a form that read the wallet earlier can never write
    its stale balance back over a charge committed since (balance and held change only
    through the ledger's guarded statements).
    """
    if low_balance_threshold is not None and low_balance_threshold < 0:
        raise InvalidAmount("The threshold cannot be negative.")
    wallets = Account.objects.filter(pk=wallet_id, user__isnull=False)
    if not wallets.update(low_balance_threshold=low_balance_threshold):
        raise BillingError(f"Account {wallet_id} is not a wallet.")
    return wallets.get()
