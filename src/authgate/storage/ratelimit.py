"""Rate limits with the ``limits`` library (moving windows): in memory or in Redis."""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from authgate.core.errors import ConfigurationError
from authgate.core.settings import Settings, env_name

LIMIT_FIELDS = ("limit_login_account", "limit_login_address", "limit_register_address")


@lru_cache(maxsize=32)
def _parse(limit: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limit))


def validate_limits(settings: Settings) -> None:
    """Raises ConfigurationError (naming the variable) for a limit ``limits`` cannot read."""
    for field in LIMIT_FIELDS:
        value = getattr(settings, field)
        if value.strip().lower() == "off":
            continue
        try:
            _parse(value)
        except ValueError:
            raise ConfigurationError(
                f"{env_name(field)}: {value!r} is not a rate limit "
                "(examples: '10 per 15 minutes', '50/hour', 'off')"
            ) from None


class LimitsRateLimiter:
    """The core's ``RateLimiter`` port on a ``limits`` storage (memory or Redis)."""

    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage or MemoryStorage()
        self._strategy = MovingWindowRateLimiter(self.storage)

    async def retry_after(self, limit: str, key: str) -> int:
        wait = 0
        for item in _parse(limit):
            if not await self._strategy.test(item, key):
                wait = max(wait, await self._wait(item, key))
        return wait

    async def hit(self, limit: str, key: str) -> int:
        wait = 0
        for item in _parse(limit):
            if not await self._strategy.hit(item, key):
                wait = max(wait, await self._wait(item, key))
        return wait

    async def _wait(self, item: RateLimitItem, key: str) -> int:
        stats = await self._strategy.get_window_stats(item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))
