"""The per-request revocation check, in microseconds: in process vs. with Redis.

    .venv/bin/python benchmarks/revocation_check.py [--redis-url redis://127.0.0.1:6379/0]

Times ``is_revoked`` (what every protected request pays for revocation) on a list
holding 10,000 revoked tokens, 1,000 revoked sessions and 1,000 user cutoffs, for
:class:`LocalRevocations` alone and for :class:`RedisRevocations` wrapping it while
subscribed; and, for scale, the whole ``authenticate`` (HS256 verify + check).
Numbers are indicative: the machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import timeit
import uuid
from collections.abc import Callable
from typing import Any

from authgate.clock import monotonic, system_clock
from authgate.core.models import Revocation
from authgate.core.revocation import LocalRevocations
from authgate.storage.memory import MemoryRevocationStore
from authgate.storage.redis import RedisRevocations


async def per_call_us(func: Callable[[], Any], number: int = 100_000) -> float:
    """Best of 5 runs, microseconds per call. Between runs the event loop turns, as
    it does between requests: the Redis subscriber must keep hearing its pongs."""
    runs = []
    for _ in range(5):
        runs.append(timeit.timeit(func, number=number))
        await asyncio.sleep(0.2)
    return min(runs) / number * 1e6


async def filled(local: LocalRevocations) -> None:
    now = int(time.time())
    for n in range(10_000):
        await local.revoke(Revocation(kind="jti", subject=f"jti-{n}", expires_at=now + 900))
    for n in range(1_000):
        await local.revoke(Revocation(kind="sid", subject=f"sid-{n}", expires_at=now + 900))
        await local.revoke(
            Revocation(kind="user", subject=f"user-{n}", cutoff=now - 60, expires_at=now + 900)
        )


async def measure(name: str, revocations: Any) -> None:
    now = int(time.time())
    valid = await per_call_us(lambda: revocations.is_revoked("jti-x", "sid-x", "user-1", now))
    revoked = await per_call_us(lambda: revocations.is_revoked("jti-5", "sid-x", "user-x", now))
    print(f"{name:<34} is_revoked: {valid:6.3f} µs (valid token)  {revoked:6.3f} µs (revoked)")


async def measure_authenticate(revocations: Any) -> None:
    from authgate.core.settings import Settings
    from authgate.core.tokens import AccessTokens
    from authgate.storage.keysource import load_key_ring

    settings = Settings(secret="benchmark-secret-0123456789-abcdefghij")
    ring = load_key_ring(settings, time.time())
    tokens = AccessTokens(ring, ttl=900, issuer=None, audience=None, leeway=10)
    token, _ = tokens.issue(
        user_id="user-1", email="a@example.com", session_id=str(uuid.uuid4()), now=time.time()
    )

    def authenticate() -> None:
        principal = tokens.verify(token, time.time())
        revocations.is_revoked(
            principal.token_id, principal.session_id, principal.id, principal.issued_at
        )

    def authenticate_fresh() -> None:
        tokens.forget_cached()
        authenticate()

    cached = await per_call_us(authenticate, 50_000)
    fresh = await per_call_us(authenticate_fresh, 2_000)
    print(f"{'  authenticate (verify + check)':<34} {cached:6.2f} µs (token seen before, cached)")
    print(f"{'':<34} {fresh:6.2f} µs (first sight: full HS256 verify)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    local = LocalRevocations(MemoryRevocationStore(), clock=system_clock, monotonic=monotonic)
    await filled(local)
    await measure("LocalRevocations (no Redis)", local)
    await measure_authenticate(local)

    channel = f"authgate-bench-{uuid.uuid4().hex[:8]}:revocations"
    redis = RedisRevocations(local, args.redis_url, channel=channel)
    await redis.start(int(time.time()))
    follower = asyncio.create_task(redis.run_sync())
    try:
        await measure("RedisRevocations (subscribed)", redis)
        await measure_authenticate(redis)
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        await redis.stop()


if __name__ == "__main__":
    asyncio.run(main())
