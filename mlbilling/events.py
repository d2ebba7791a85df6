"""Sending an app's own signals once the work they announce has committed."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import Signal


def send_after_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send `signal` when the current transaction commits (at once outside one; never if
    it rolls back). A receiver's error is logged, not raised: what it announces stands."""
    transaction.on_commit(partial(signal.send, sender=sender, **kwargs), robust=True)
