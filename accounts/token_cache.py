"""A short per-process memory of API tokens already read, keyed by the key's hash.

Reading the token and its user cost more CPU than the model on the paid path (bench/api.py):
the ORM builds the query on every request. A token found here skips that read for
API_TOKEN_CACHE_SECONDS. What may change meanwhile is bounded:
- revoking a token, and saving a user (deactivation), forget them at once in this process;
  other processes notice within API_TOKEN_CACHE_SECONDS;
- expiry needs no forgetting: `check_token_usable` decides on every request, cached or not.
Keys never found are not remembered, so a wrong key costs a query every time.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from django.conf import settings

from accounts.models import ApiToken, User

# Bounds the memory a flood of distinct valid tokens could take; past it, start afresh.
MAX_ENTRIES = 10_000

_entries: dict[str, tuple[float, ApiToken]] = {}
_lock = threading.Lock()


def token_recall(key_hash: str) -> ApiToken | None:
    """The token remembered for this hash, fresh enough, as a copy of its own (with its
    user) so that no request changes another's; None when not remembered."""
    entry = _entries.get(key_hash)
    if entry is None or entry[0] < time.monotonic():
        return None
    token = copy.copy(entry[1])
    token.user = copy.copy(entry[1].user)
    return token


def token_remember(token: ApiToken) -> None:
    seconds = settings.API_TOKEN_CACHE_SECONDS
    if seconds <= 0:
        return
    kept = copy.copy(token)
    kept.user = copy.copy(token.user)
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[token.key_hash] = (time.monotonic() + seconds, kept)


def token_last_used_update(token: ApiToken) -> None:
    """Keep the remembered `last_used_at` in step, so the touch is not repeated."""
    entry = _entries.get(token.key_hash)
    if entry is not None:
        entry[1].last_used_at = token.last_used_at


def token_forget(key_hash: str) -> None:
    with _lock:
        _entries.pop(key_hash, None)


def tokens_forget_user(user_id: int) -> None:
    with _lock:
        for key_hash in [h for h, (_, t) in _entries.items() if t.user_id == user_id]:
            del _entries[key_hash]


def forget_saved_user(sender: Any, instance: User, **kwargs: Any) -> None:
    """post_save of a user (connected in apps.py): a deactivation takes effect at once."""
    tokens_forget_user(instance.pk)
