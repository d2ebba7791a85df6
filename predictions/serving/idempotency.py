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
from contextlib import contextmanager

from django.db import connection


def _lock_id(user_id: int, key: str) -> int:
    """A signed 64-bit lock id for (user, key); a collision only makes two requests wait
    for each other."""
    digest = hashlib.sha256(f"prediction-idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def idempotency_key_claimed(*, user_id: int, key: str) -> Iterator[None]:
    """Run the body as the only request of `user_id` under `key`; others wait here."""
    if connection.vendor != "postgresql":
        yield
        return
    lock_id = _lock_id(user_id, key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [lock_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
