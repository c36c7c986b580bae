"""Rate limits in process memory: moving windows, with no lock, task or thread.

The ``limits`` library's asyncio memory storage schedules an expiry task on every
count, and that task hands each live key to a thread (``asyncio.to_thread``): up to
six thread hand-offs per login, more under a password-spraying attack with many keys.
Here every operation is a few dictionary and deque steps that run to completion on
the event loop, so no two of them interleave and no lock is needed. Redis keeps the
``limits`` implementation (:class:`authgate.storage.ratelimit.LimitsRateLimiter`),
which this one matches decision for decision.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from limits import RateLimitItem

from authgate.storage.ratelimit import parse_limit

#: How often keys whose windows have emptied are dropped (memory stays bounded by
#: the keys active within the longest window).
SWEEP_SECONDS = 60.0


class _Window:
    """The times of one key's most recent hits under one limit item."""

    __slots__ = ("amount", "hits", "span")

    def __init__(self, item: RateLimitItem) -> None:
        self.amount = item.amount
        self.span = float(item.get_expiry())
        self.hits: deque[float] = deque(maxlen=item.amount)

    def count(self, now: float) -> int:
        while self.hits and self.hits[0] <= now - self.span:
            self.hits.popleft()
        return len(self.hits)

    def wait(self, now: float) -> int:
        """Seconds until a slot frees (for a full window)."""
        return max(1, math.ceil(self.hits[0] + self.span - now)) if self.hits else 1


class MemoryRateLimiter:
    """The core's ``RateLimiter`` port for one process (see the module docstring).

    Attempts claimed with :meth:`reserve` and not yet settled count against a limit,
    so that simultaneous attempts cannot overshoot it while their passwords are being
    checked.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, RateLimitItem], _Window] = {}
        self._pending: dict[str, int] = {}
        self._next_sweep = clock() + SWEEP_SECONDS

    async def retry_after(self, limit: str, key: str) -> int:
        now = self._now()
        return max((w.wait(now) for w in self._full(limit, key, now)), default=0)

    async def hit(self, limit: str, key: str) -> int:
        return self._hit(limit, key, self._now())

    async def reserve(self, limit: str, key: str) -> int:
        now = self._now()
        in_flight = self._pending.get(key, 0) + 1
        wait = 0
        for item in parse_limit(limit):
            window = self._window(item, key)
            remaining = window.amount - window.count(now)
            if remaining <= 0:
                wait = max(wait, window.wait(now))
            elif remaining < in_flight:  # the others in flight may use it up
                wait = max(wait, 1)
        if not wait:
            self._pending[key] = in_flight
        return wait

    async def settle(self, limit: str, key: str, *, failed: bool) -> None:
        if failed:
            self._hit(limit, key, self._now())
        left = self._pending.get(key, 0) - 1
        if left > 0:
            self._pending[key] = left
        else:
            self._pending.pop(key, None)

    async def close(self) -> None:
        """Nothing to release."""

    def _hit(self, limit: str, key: str, now: float) -> int:
        """Record one hit under each item that has room (as ``limits`` does); the
        seconds to wait if some item had none (0: counted everywhere)."""
        wait = 0
        for item in parse_limit(limit):
            window = self._window(item, key)
            if window.count(now) < window.amount:
                window.hits.append(now)
            else:
                wait = max(wait, window.wait(now))
        return wait

    def _full(self, limit: str, key: str, now: float) -> list[_Window]:
        windows = (self._windows.get((key, item)) for item in parse_limit(limit))
        return [w for w in windows if w is not None and w.count(now) >= w.amount]

    def _window(self, item: RateLimitItem, key: str) -> _Window:
        window = self._windows.get((key, item))
        if window is None:
            window = self._windows[(key, item)] = _Window(item)
        return window

    def _now(self) -> float:
        now = self._clock()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            empty = [ident for ident, w in self._windows.items() if not w.count(now)]
            for ident in empty:
                del self._windows[ident]
        return now

    def __len__(self) -> int:
        """Windows held (for tests of the sweep)."""
        return len(self._windows)
