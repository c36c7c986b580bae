"""The Redis revocation channel: news within a second, 503 while it is down, reload after.

Each list here has its own in-memory store, so the only way news can travel between
two of them is the Redis channel; the failure tests run a Redis server of their own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import redis.asyncio

from authgate.clock import monotonic, system_clock
from authgate.core.errors import ConfigurationError, ServiceUnavailable
from authgate.core.models import Revocation
from authgate.core.revocation import LocalRevocations
from authgate.storage.memory import MemoryRevocationStore
from authgate.storage.redis import SILENCE_SECONDS, RedisRevocations, encode
from tests.conftest import SharedRedis
from tests.integration.services import RedisServer, eventually

pytestmark = pytest.mark.redis


def now() -> int:
    return int(time.time())


def revocation_list(url: str, channel: str, store: MemoryRevocationStore | None = None) -> Any:
    local = LocalRevocations(
        store or MemoryRevocationStore(), clock=system_clock, monotonic=monotonic
    )
    return RedisRevocations(local, url, channel=channel)


@asynccontextmanager
async def running(revocations: RedisRevocations) -> AsyncIterator[RedisRevocations]:
    """Started, following its channel in the background, stopped afterwards."""
    await revocations.start(now())
    task = asyncio.create_task(revocations.run_sync())
    try:
        yield revocations
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await revocations.stop()


def state(revocations: RedisRevocations, jti: str, sid: str | None = None) -> str:
    """``revoked``, ``valid`` or ``unavailable`` for a token (user ``u``, issued now)."""
    try:
        return "revoked" if revocations.is_revoked(jti, sid, "u", now() - 1) else "valid"
    except ServiceUnavailable:
        return "unavailable"


async def becomes(revocations: RedisRevocations, jti: str, wanted: str, timeout: float) -> None:
    async def check() -> bool:
        return state(revocations, jti) == wanted

    await eventually(check, timeout=timeout, interval=0.01, what=f"{jti} {wanted}")


async def test_a_revocation_reaches_another_instance_within_a_second(
    shared_redis: SharedRedis,
) -> None:
    """Logout on one instance is refused on another within one second (kinds jti,
    sid, user cutoff), with nothing shared but the channel."""
    channel = f"{shared_redis.prefix}:revocations"
    a = revocation_list(shared_redis.url, channel)
    b = revocation_list(shared_redis.url, channel)
    async with running(a), running(b):
        assert state(b, "t1") == "valid"
        await a.revoke(Revocation(kind="jti", subject="t1", expires_at=now() + 60))
        started = time.monotonic()
        await becomes(b, "t1", "revoked", timeout=1.0)
        latency = time.monotonic() - started
        await a.revoke(Revocation(kind="sid", subject="s1", expires_at=now() + 60))
        # One fixed instant: reading the clock again could cross a second boundary.
        cutoff_at = now()
        await a.revoke(
            Revocation(kind="user", subject="u", cutoff=cutoff_at, expires_at=cutoff_at + 60)
        )

        async def both() -> bool:
            session = b.is_revoked("t2", "s1", "someone", cutoff_at)
            cutoff = b.is_revoked("t3", None, "u", cutoff_at - 1)
            return session and cutoff

        await eventually(both, timeout=1.0, what="sid and user entries")
        assert not b.is_revoked("t4", "s2", "u", cutoff_at)  # issued at the cutoff: valid
    print(f"channel latency: {latency * 1000:.1f} ms")


async def test_foreign_messages_never_unrevoke(shared_redis: SharedRedis, caplog: Any) -> None:
    """Garbage on the channel is ignored (one warning), and an entry with an earlier
    expiry cannot shorten a revocation."""
    channel = f"{shared_redis.prefix}:revocations"
    a = revocation_list(shared_redis.url, channel)
    b = revocation_list(shared_redis.url, channel)
    publisher = redis.asyncio.Redis.from_url(shared_redis.url)
    async with running(a), running(b):
        await a.revoke(Revocation(kind="jti", subject="t1", expires_at=now() + 3600))
        await becomes(b, "t1", "revoked", timeout=1.0)
        for junk in (b"not json", b"{}", b'{"kind":"jti","subject":1}', b"[1,2]"):
            await publisher.publish(channel, junk)
        await publisher.publish(
            channel, encode(Revocation(kind="jti", subject="t1", expires_at=now() - 10))
        )
        await publisher.publish(
            channel, encode(Revocation(kind="jti", subject="marker", expires_at=now() + 60))
        )
        await becomes(b, "marker", "revoked", timeout=1.0)
        b.local.forget_expired(now())
        assert state(b, "t1") == "revoked"
    await publisher.aclose()
    ignored = [r for r in caplog.records if "not a revocation" in r.getMessage()]
    assert len(ignored) == 2  # once per list (a and b), not once per message


async def test_outage_refuses_to_vouch_then_resumes_and_reloads(
    redis_server: RedisServer, caplog: Any
) -> None:
    """While Redis is down every check is ServiceUnavailable (logged once); when it
    returns empty, the list resumes by itself and has reloaded what it missed."""
    caplog.set_level(logging.INFO, logger="authgate")
    store = MemoryRevocationStore()
    revocations = revocation_list(redis_server.url, "authgate:revocations", store)
    async with running(revocations):
        assert state(revocations, "missed") == "valid"
        redis_server.stop()
        await becomes(revocations, "missed", "unavailable", timeout=2.0)
        # Recorded by another process meanwhile, stamped long ago: only a full reload
        # (not the backstop's incremental poll) can bring it in.
        missed = Revocation(kind="jti", subject="missed", expires_at=now() + 3600)
        await store.add(missed, recorded_at=now() - 3600)
        for _ in range(50):
            assert state(revocations, "any") == "unavailable"
            await asyncio.sleep(0.01)
        redis_server.start()

        async def resumed() -> bool:
            return state(revocations, "missed") != "unavailable"

        await eventually(resumed, timeout=5.0, what="the list to resume")
        assert state(revocations, "missed") == "revoked"
        assert state(revocations, "other") == "valid"
    messages = [r.getMessage() for r in caplog.records if r.name == "authgate.redis"]
    assert sum("unreachable" in m for m in messages) == 1, messages
    assert sum("reachable again" in m for m in messages) == 1, messages


async def test_a_silent_redis_counts_as_down(redis_server: RedisServer) -> None:
    """A Redis that stops answering without closing the connection (a frozen host) is
    noticed within a few seconds; service resumes when it answers again."""
    revocations = revocation_list(redis_server.url, "authgate:revocations")
    async with running(revocations):
        redis_server.freeze()
        frozen_at = time.monotonic()
        await becomes(revocations, "t", "unavailable", timeout=SILENCE_SECONDS + 2)
        assert time.monotonic() - frozen_at >= 0.5  # it was alive, not failing from the start
        redis_server.thaw()
        await becomes(revocations, "t", "valid", timeout=10.0)


async def test_unreachable_redis_stops_start_up(redis_server: RedisServer) -> None:
    """No Redis at start: one clear error naming AUTHGATE_REDIS_URL, not a half start."""
    redis_server.stop()
    revocations = revocation_list(redis_server.url, "authgate:revocations")
    with pytest.raises(ConfigurationError, match="AUTHGATE_REDIS_URL"):
        await revocations.start(now())
    await revocations.stop()
