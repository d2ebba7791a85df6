"""The SQL of the ledger: the few statements that change wallets and insert transfers.

Raw SQL because the ORM cannot UPDATE ... RETURNING, and reading the balance back would
cost a second round trip while the wallet row is locked (the hot path of every paid
prediction). Both SQLite (>= 3.35) and PostgreSQL accept it. Only `billing.services` calls
these. They raise no domain errors (a missing wallet is a programming error), so callers
can run them inside `atomic(savepoint=False)` and decide from what they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.utils import timezone

from billing.models import Account, Transfer
from billing.statement_lines import StatementLine

_ACCOUNT = Account._meta.db_table
_TRANSFER = Transfer._meta.db_table
_LINE_PARAMS = Transfer._meta.get_field("line_params")


def _line_values(line: StatementLine | None) -> list[object]:
    """line_kind and line_params as the database takes them (jsonb on PostgreSQL)."""
    kind, params = (line.kind, dict(line.params)) if line else ("", {})
    return [kind, _LINE_PARAMS.get_db_prep_save(params, connection)]


def _line_fields(line: StatementLine | None) -> dict[str, object]:
    return {"line_kind": line.kind, "line_params": dict(line.params)} if line else {}


@dataclass(frozen=True)
class WalletRow:
    id: int
    balance: int
    low_balance_threshold: int | None


def wallet_update(set_sql: str, where_sql: str, params: list[object]) -> WalletRow | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_ACCOUNT} SET {set_sql} WHERE {where_sql} "  # noqa: S608 (fixed SQL)
            "RETURNING id, balance, low_balance_threshold",
            params,
        )
        row = cursor.fetchone()
    return WalletRow(*row) if row else None


def wallet_debit(*, user_id: int, amount: int) -> WalletRow | None:
    return wallet_update(
        "balance = balance - %s",
        "user_id = %s AND balance IS NOT NULL AND balance - held >= %s",
        [amount, user_id, amount],
    )


def wallet_reserve(*, user_id: int, amount: int) -> WalletRow | None:
    """Hold `amount` if it is available; None if not."""
    return wallet_update(
        "held = held + %s",
        "user_id = %s AND balance IS NOT NULL AND balance - held >= %s",
        [amount, user_id, amount],
    )


def wallet_settle(*, wallet_id: int, held: int, spent: int) -> WalletRow:
    """Take `held` out of the reserve and `spent` (<= held) out of the balance."""
    row = wallet_update(
        "balance = balance - %s, held = held - %s", "id = %s", [spent, held, wallet_id]
    )
    if row is None:
        raise Account.DoesNotExist(f"No wallet {wallet_id}.")
    return row


def wallet_credit(*, wallet_id: int, amount: int) -> WalletRow:
    row = wallet_update(
        "balance = balance + %s", "id = %s AND balance IS NOT NULL", [amount, wallet_id]
    )
    if row is None:
        raise Account.DoesNotExist(f"Account {wallet_id} is not a wallet.")
    return row


def _insert_sql(*, outgoing: bool, system_by_code: bool) -> str:
    wallet_side, system_side = ("debit_id", "credit_id") if outgoing else ("credit_id", "debit_id")
    system_column = "code" if system_by_code else "id"
    return (
        f"INSERT INTO {_TRANSFER} (kind, reference, {wallet_side}, {system_side}, "  # noqa: S608
        "wallet_id, amount, balance_after, refund_of_id, line_kind, line_params, description, "
        "created_by_id, created_at) "
        f"SELECT %s, %s, %s, sa.id, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM {_ACCOUNT} sa "
        f"WHERE sa.{system_column} = %s "
        f"ON CONFLICT (kind, reference) DO NOTHING RETURNING id, {system_side}"
    )


# The four INSERTs, by (outgoing, system account given by its code), built once.
_INSERT_SQL = {
    (outgoing, by_code): _insert_sql(outgoing=outgoing, system_by_code=by_code)
    for outgoing in (True, False)
    for by_code in (True, False)
}


def _insert_returning(
    sql: str, params: list[object], *, kind: str, reference: str, system: int | str
) -> tuple[int, int] | None:
    """Run the INSERT; returns (transfer id, system account id), or None on a conflict."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if (
            row is None
            and isinstance(system, str)
            and not Transfer.objects.filter(kind=kind, reference=reference).exists()
        ):
            # No row and no conflict: the system account's first use. Two first uses may
            # race; the unique code makes one of them a plain read.
            Account.objects.get_or_create(code=system)
            cursor.execute(sql, params)
            row = cursor.fetchone()
    return row


def transfer_insert(
    *,
    kind: str,
    reference: str,
    wallet: WalletRow,
    system: int | str,
    outgoing: bool,
    amount: int,
    line: StatementLine | None,
    description: str,
    created_by_id: int | None,
    refund_of_id: int | None = None,
) -> Transfer | None:
    """Insert a transfer between the wallet and a system account (given by id or code;
    a code is created on first use); outgoing means from the wallet. Returns None when
    (kind, reference) already exists.

    The system account is looked up inside the INSERT, not before it: one round trip less
    on every paid prediction. The transfer returned is built here, not read back.
    """
    created_at = timezone.now()
    params = [
        kind,
        reference,
        wallet.id,  # the wallet's side: debit when outgoing, credit otherwise
        wallet.id,
        amount,
        wallet.balance,
        refund_of_id,
        *_line_values(line),
        description,
        created_by_id,
        connection.ops.adapt_datetimefield_value(created_at),
        system,
    ]
    sql = _INSERT_SQL[outgoing, isinstance(system, str)]
    row = _insert_returning(sql, params, kind=kind, reference=reference, system=system)
    if row is None:
        return None
    transfer_id, system_id = row
    return _transfer_built(
        transfer_id,
        system_id,
        kind=kind,
        reference=reference,
        wallet=wallet,
        outgoing=outgoing,
        amount=amount,
        description=description,
        created_by_id=created_by_id,
        created_at=created_at,
        refund_of_id=refund_of_id,
        **_line_fields(line),
    )


def _transfer_built(
    transfer_id: int, system_id: int, *, wallet: WalletRow, outgoing: bool, **fields: object
) -> Transfer:
    """The transfer an INSERT ... RETURNING has just written, built here, not read back."""
    transfer = Transfer(
        id=transfer_id,
        wallet_id=wallet.id,
        balance_after=wallet.balance,
        debit_id=wallet.id if outgoing else system_id,
        credit_id=system_id if outgoing else wallet.id,
        **fields,
    )
    transfer._state.adding = False
    transfer._state.db = connection.alias
    return transfer


@dataclass(frozen=True)
class AttachedRow:
    """A row of the caller's own (a prediction record) that commits with a charge: its
    `balance_column` receives the wallet's balance after the debit."""

    table: str
    columns: tuple[str, ...]  # quoted names, without balance_column
    values: list[object]  # as the database adapts them (Field.get_db_prep_save)
    balance_column: str


def attached_row_insert(row: AttachedRow, *, balance: int) -> None:
    """The attached row on its own, inside the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {row.table} ({', '.join(row.columns)}, {row.balance_column}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * (len(row.columns) + 1))})",
            [*row.values, balance],
        )


@cache
def _charge_with_row_sql(table: str, columns: tuple[str, ...], balance_column: str) -> str:
    return f"""
WITH w AS (
  UPDATE {_ACCOUNT} SET balance = balance - %s
   WHERE user_id = %s AND balance IS NOT NULL AND balance - held >= %s
  RETURNING id, balance, low_balance_threshold
), t AS (
  INSERT INTO {_TRANSFER} (kind, reference, debit_id, credit_id, wallet_id, amount,
                           balance_after, line_kind, line_params, description, created_at)
  SELECT %s, %s, w.id, (SELECT sa.id FROM {_ACCOUNT} sa WHERE sa.code = %s), w.id, %s,
         w.balance, %s, %s, %s, %s FROM w
  RETURNING id, credit_id
), r AS (
  INSERT INTO {table} ({", ".join(columns)}, {balance_column})
  SELECT {", ".join(["%s"] * len(columns))}, w.balance FROM w
)
SELECT w.id, w.balance, w.low_balance_threshold, t.id, t.credit_id FROM w, t
"""  # noqa: S608 (table and column names are the models'; every value is a parameter)


def charge_with_row(
    *,
    user_id: int,
    amount: int,
    kind: str,
    reference: str,
    system_code: str,
    line: StatementLine | None,
    description: str,
    row: AttachedRow,
) -> tuple[WalletRow, Transfer] | None:
    """The guarded debit, its transfer to the system account `system_code` and `row`, in
    ONE statement (PostgreSQL): run outside a transaction it is its own, committed when it
    returns, one round trip instead of five. None when the wallet cannot pay (nothing
    written). Anything else that stops one part stops all of it with an IntegrityError
    (the reference already used, a unique key of `row`, the system account not created
    yet: its id comes out NULL), so a debit never commits without its transfer."""
    created_at = timezone.now()
    at = connection.ops.adapt_datetimefield_value(created_at)
    # In the order of the statement: the debit, the transfer, the row.
    params = [amount, user_id, amount, kind, reference, system_code, amount]
    params += [*_line_values(line), description, at]
    with connection.cursor() as cursor:
        cursor.execute(
            _charge_with_row_sql(row.table, row.columns, row.balance_column),
            [*params, *row.values],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    wallet = WalletRow(*found[:3])
    transfer_id, system_id = found[3:]
    transfer = _transfer_built(
        transfer_id,
        system_id,
        kind=kind,
        reference=reference,
        wallet=wallet,
        outgoing=True,
        amount=amount,
        description=description,
        created_at=created_at,
        **_line_fields(line),
    )
    return wallet, transfer
