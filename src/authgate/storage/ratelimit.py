"""Rate limits with the ``limits`` library (moving windows) in shared storage (Redis);
in one process, :mod:`authgate.storage.memory_limits` decides the same way."""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from authgate.core.errors import ConfigurationError, ServiceUnavailable
from authgate.core.ratelimit import is_off
from authgate.core.settings import Settings, env_name
from authgate.storage.outage import Outage

log = logging.getLogger("authgate.ratelimit")

LIMIT_FIELDS = (
    "limit_login_account",
    "limit_login_address",
    "limit_register_address",
    "limit_mail_address",
)
#: A claimed attempt not settled within this time (its process died) stops counting.
PENDING_SECONDS = 60


@lru_cache(maxsize=32)
def parse_limit(limit: str) -> tuple[RateLimitItem, ...]:
    """The items of a limit such as ``10 per minute; 100 per hour`` (cached)."""
    return tuple(parse_many(limit))


def validate_limits(settings: Settings) -> None:
    """Raises ConfigurationError (naming the variable) for a limit ``limits`` cannot read."""
    for field in LIMIT_FIELDS:
        value = getattr(settings, field)
        if is_off(value):
            continue
        try:
            items = parse_limit(value)
        except ValueError:
            raise ConfigurationError(
                f"{env_name(field)}: {value!r} is not a rate limit "
                "(examples: '10 per 15 minutes', '50/hour', 'off')"
            ) from None
        if any(item.amount < 1 for item in items):
            # "0 per minute" would refuse everyone for good: 'off' is the way to
            # turn a limit off, and nothing turns the action itself off.
            raise ConfigurationError(
                f"{env_name(field)}: {value!r} allows nothing; a limit counts at least 1 "
                "(or is 'off')"
            )


class LimitsRateLimiter:
    """The core's ``RateLimiter`` port on a ``limits`` storage (Redis).

    Moving windows. Attempts claimed with :meth:`reserve` and not yet settled are
    counted in a per-key counter in the same storage, so that simultaneous attempts
    (from one instance or many) cannot overshoot a limit while their passwords are
    being checked. A storage failure becomes ``ServiceUnavailable`` (503), logged
    once per outage: an attempt is never let through uncounted.
    """

    def __init__(self, storage: Storage, *, name: str = "rate-limit storage") -> None:
        self.storage = storage
        self._strategy = MovingWindowRateLimiter(self.storage)
        self.outage = Outage(name, log)

    async def hit(self, limit: str, key: str) -> int:
        return await self._wait_under(limit, key, self._strategy.hit)

    async def retry_after(self, limit: str, key: str) -> int:
        """Seconds until ``key`` may try again (0 if it may now), counting nothing."""
        return await self._wait_under(limit, key, self._strategy.test)

    async def _wait_under(
        self, limit: str, key: str, passes: Callable[[RateLimitItem, str], Awaitable[bool]]
    ) -> int:
        async with self._available():
            wait = 0
            for item in parse_limit(limit):
                if not await passes(item, key):
                    wait = max(wait, await self._wait(item, key))
            return wait

    async def reserve(self, limit: str, key: str) -> int:
        async with self._available():
            in_flight = max(1, await self.storage.incr(_pending(key), PENDING_SECONDS))
            try:
                wait = 0
                for item in parse_limit(limit):
                    reset_at, remaining = await self._strategy.get_window_stats(item, key)
                    if remaining <= 0:
                        wait = max(wait, _seconds_until(reset_at))
                    elif remaining < in_flight:  # the others in flight may use it up
                        wait = max(wait, 1)
            except BaseException:
                await self._release(key)
                raise
            if wait:
                await self._release(key)
            return wait

    async def settle(self, limit: str, key: str, *, failed: bool) -> None:
        async with self._available():
            try:
                if failed:
                    for item in parse_limit(limit):
                        await self._strategy.hit(item, key)
            finally:  # count first, release after: never an undercount in between
                await self._release(key)

    async def _release(self, key: str) -> None:
        await self.storage.incr(_pending(key), PENDING_SECONDS, amount=-1)

    async def _wait(self, item: RateLimitItem, key: str) -> int:
        stats = await self._strategy.get_window_stats(item, key)
        return _seconds_until(stats.reset_time)

    @contextlib.asynccontextmanager
    async def _available(self) -> AsyncIterator[None]:
        """Storage failures become ServiceUnavailable, logged once per outage."""
        try:
            yield
        except (StorageError, OSError, TimeoutError) as exc:
            cause = exc.storage_error if isinstance(exc, StorageError) else exc
            self.outage.failed(f"{type(cause).__name__}: {cause}")
            raise ServiceUnavailable(f"{self.outage.name}: {type(cause).__name__}") from exc
        self.outage.recovered()

    async def close(self) -> None:
        """Close the storage's connections (Redis); nothing to do in memory."""
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if client is not None:
            await client.aclose()


def _pending(key: str) -> str:
    return f"authgate-pending/{key}"


def _seconds_until(moment: float) -> int:
    return max(1, math.ceil(moment - time.time()))
