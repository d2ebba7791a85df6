"""One request per Idempotency-Key at a time: duplicates wait for the first to finish.

Without this, sixteen identical requests arriving together all passed the credit
pre-check before any had charged; on a wallet holding one price, the losers were refused
(402, recorded) instead of answering with the winner. Now the first request holds a
PostgreSQL advisory lock on (user, key) from before it reads the key until its charge has
committed; a duplicate blocks on the lock, then finds the stored success and replays it.

The lock is session-level, not transaction-level, because the model runs outside any
transaction (see `services`). It is held only against requests with the same user and
key: everyone else runs as before. SQLite (development, tests) serialises writes by
itself and relies on the unique index alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.db import DatabaseError, connection

_LOCK_SQL = "SELECT pg_advisory_lock(%s)"
_UNLOCK_SQL = "SELECT pg_advisory_unlock(%s)"


def _lock_id(user_id: int, key: str) -> int:
    """A signed 64-bit lock id for (user, key); a collision only makes two requests wait
    for each other."""
    digest = hashlib.sha256(f"prediction-idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def idempotency_key_claimed(
    *, user_id: int, key: str, first_read: tuple[str, list[Any]]
) -> Iterator[tuple[Any, ...] | None]:
    """Run the body as the only request of `user_id` under `key`; others wait here.

    `first_read` (SQL and parameters) is the body's first query, whose first row is
    yielded. On PostgreSQL it travels in the lock's round trip, right behind it (psycopg's
    pipeline): it runs once the lock is granted, in a snapshot of its own, so it sees what
    the previous holder committed. One round trip less on every paid call with a key.
    """
    if connection.vendor != "postgresql":
        yield _fetch_first(*first_read)
        return
    lock_id = _lock_id(user_id, key)
    try:
        row = _locked_then_fetched(lock_id, *first_read)
    except DatabaseError:
        # The lock may have been granted before the read failed; a lost session took it
        # with it, and then the unlock fails too: nothing left to release.
        with suppress(DatabaseError):
            _fetch_first(_UNLOCK_SQL, [lock_id])
        raise
    try:
        yield row
    finally:
        _fetch_first(_UNLOCK_SQL, [lock_id])


def _fetch_first(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _locked_then_fetched(lock_id: int, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    # In order: the cursor connects, so that the pipeline has a connection to open on.
    # Errors surface when the pipeline syncs, outside the cursor's own translation:
    # wrapped, so that callers see Django's exceptions as for any query.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        connection.connection.pipeline(),
    ):
        cursor.execute(_LOCK_SQL, [lock_id])
        cursor.execute(sql, params)
        return cursor.fetchone()
