"""DRF's per-user and per-scope throttles checked together, for the paid prediction.

`UserRateThrottle` and `ScopedRateThrottle` each read their history from the cache and
write it back: four cache round trips per call (Redis in production), and the rates parsed
twice. `UserAndScopeRateThrottle` keeps their rates, cache keys and decisions (a request
refused by one still counts in the other's history, as in DRF) and reads both histories
with one `get_many` and writes them with one `set_many`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import (
    BaseThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)


def _scoped(view: Any) -> ScopedRateThrottle:
    """A ScopedRateThrottle with the view's scope and rate, as its allow_request sets them."""
    throttle = ScopedRateThrottle()
    throttle.scope = getattr(view, throttle.scope_attr, None)
    # No scope, no rate: that half is skipped, as DRF's allows every request then.
    throttle.rate = throttle.get_rate() if throttle.scope else None
    throttle.num_requests, throttle.duration = throttle.parse_rate(throttle.rate)
    return throttle


class UserAndScopeRateThrottle(BaseThrottle):
    """UserRateThrottle + ScopedRateThrottle (the view's `throttle_scope`), in one pass."""

    def __init__(self) -> None:
        self.refused: list[SimpleRateThrottle] = []

    def allow_request(self, request: Any, view: Any) -> bool:
        throttles = []
        for throttle in (UserRateThrottle(), _scoped(view)):
            if throttle.rate is not None:
                throttle.key = throttle.get_cache_key(request, view)
                if throttle.key is not None:
                    throttles.append(throttle)
        if not throttles:
            return True
        cache, timer = throttles[0].cache, throttles[0].timer
        histories = cache.get_many([throttle.key for throttle in throttles])
        now = timer()
        written, timeout = {}, 0
        for throttle in throttles:
            throttle.now, throttle.history = now, histories.get(throttle.key, [])
            while throttle.history and throttle.history[-1] <= now - throttle.duration:
                throttle.history.pop()
            if len(throttle.history) >= throttle.num_requests:
                self.refused.append(throttle)
            else:
                throttle.history.insert(0, now)
                written[throttle.key] = throttle.history
                timeout = max(timeout, throttle.duration)
        if written:
            # One timeout for both keys: the longer window. A history kept longer than its
            # own window is harmless, since entries older than it are dropped on reading.
            cache.set_many(written, timeout)
        return not self.refused

    def wait(self) -> float | None:
        waits = [wait for throttle in self.refused if (wait := throttle.wait()) is not None]
        return max(waits, default=None)
