"""Redis: the fast path of access-token revocations, and the shared rate limits.

**Revocations.** The database stays their record: :class:`LocalRevocations` writes
every entry there first and loads them at start. Redis only carries the news. Each
revocation is published on the channel ``<prefix>:revocations``; every instance
(and every worker process) subscribes and applies what it receives to its own
in-memory list, so ``is_revoked`` stays a few dictionary lookups with no I/O and a
logout is honoured everywhere a few milliseconds after it is recorded.

Pub/sub delivers at most once: a subscriber that is disconnected misses what is
published meanwhile, and a Redis without persistence comes back empty. Hence:

- while the subscription is not known to be alive, :meth:`is_revoked` raises
  ``ServiceUnavailable`` (503): a token that cannot be checked is never accepted;
- after every (re)subscription the list is reloaded from the database, subscribing
  first so that no revocation can fall between the two;
- the subscriber pings every :data:`PING_SECONDS`; a silence longer than
  :data:`SILENCE_SECONDS` counts as an outage (a peer that vanished without closing
  the connection), so it is noticed within seconds and never waited on by requests;
- the database poll of :class:`LocalRevocations` keeps running, slower, as a
  backstop for a publication that failed.

**Timeouts.** redis-py's defaults (5 s socket timeouts, 10 retries with backoff)
can hold a request for many seconds before it fails; :func:`client_options` bounds
a failing command to about two seconds, and the subscriber never retries by itself
(it must notice every disconnection, to reload).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, cast

import orjson
from limits.aio.storage import RedisStorage
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from authgate.core.errors import ConfigurationError, ServiceUnavailable
from authgate.core.models import Revocation
from authgate.core.revocation import LocalRevocations
from authgate.core.settings import Settings, redact_url
from authgate.storage.outage import Outage
from authgate.storage.ratelimit import LimitsRateLimiter

log = logging.getLogger("authgate.redis")


def client_options(*, subscriber: bool = False) -> dict[str, Any]:
    """Bounds on every Redis command: connect and read timeouts, TCP keepalive, and
    one quick retry (a pooled connection that went stale when Redis restarted), so
    that a command against a dead or frozen Redis fails within about two seconds.
    Connecting costs no extra round trip that could each wait a timeout: RESP2 (no
    ``HELLO``), no health-check ``PING``. The subscriber's
    connection gets no retry at all: it must see every disconnection (to reload),
    never be reconnected and resubscribed behind its back. A new ``Retry`` each
    call: clients share none."""
    retries = 0 if subscriber else 1
    return {
        "socket_connect_timeout": 1.0,
        "socket_timeout": 1.0,
        "socket_keepalive": True,
        "protocol": 2,
        "health_check_interval": 0,
        "retry": Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=retries),
    }


PING_SECONDS = 1.0
SILENCE_SECONDS = 3.0
RESUBSCRIBE_SECONDS = 0.5
#: With Redis carrying the news, the database is polled only as a backstop.
BACKSTOP_POLL_SECONDS = 5.0
BACKSTOP_STALE_SECONDS = 15.0

_KINDS = frozenset({"jti", "sid", "user"})
_monotonic = time.monotonic


def _is_cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def channel_name(settings: Settings) -> str:
    return f"{settings.redis_prefix}:revocations"


def encode(revocation: Revocation) -> bytes:
    return orjson.dumps(
        {
            "kind": revocation.kind,
            "subject": revocation.subject,
            "cutoff": revocation.cutoff,
            "expires_at": revocation.expires_at,
        }
    )


def decode(data: bytes) -> Revocation | None:
    """The revocation in a message, or None if it is not one of ours."""
    try:
        fields = orjson.loads(data)
        kind, subject = fields["kind"], fields["subject"]
        cutoff, expires_at = fields["cutoff"], fields["expires_at"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    valid = (
        kind in _KINDS
        and isinstance(subject, str)
        and 0 < len(subject) <= 64
        and all(type(n) is int for n in (cutoff, expires_at))
    )
    return (
        Revocation(kind=kind, subject=subject, cutoff=cutoff, expires_at=expires_at)
        if valid
        else None
    )


async def check_redis(url: str) -> None:
    """Raises ConfigurationError naming AUTHGATE_REDIS_URL unless Redis answers."""
    client = Redis.from_url(url, **client_options())
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        raise ConfigurationError(
            f"AUTHGATE_REDIS_URL: cannot connect to Redis at {redact_url(url)} ({exc})"
        ) from None
    finally:
        await client.aclose()


def redis_rate_limiter(settings: Settings) -> LimitsRateLimiter:
    """Rate limits counted in Redis (shared by every instance), ``limits``' storage."""
    url = cast(str, settings.redis_url)
    scheme, _, rest = url.partition("://")
    uri = f"async+redis+unix://{rest}" if scheme == "unix" else f"async+{url}"
    storage = RedisStorage(
        uri,
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix=f"{settings.redis_prefix}:limits",
        **client_options(),
    )
    return LimitsRateLimiter(storage, name="redis (rate limits)")


class RedisRevocations:
    """The ``RevocationList`` of many instances: a :class:`LocalRevocations` kept
    current by a Redis channel (see the module docstring)."""

    def size(self) -> int:
        """Entries in this process's list."""
        return self.local.size()

    def __init__(self, local: LocalRevocations, url: str, *, channel: str) -> None:
        self.local = local
        self.url = url
        self.channel = channel
        self.outage = Outage("revocation channel (redis)", log)
        self._client = Redis.from_url(url, **client_options())
        self._subscriber = Redis.from_url(url, **client_options(subscriber=True))
        self._pubsub: PubSub | None = None
        #: Until when the subscription is known alive (monotonic clock): pushed
        #: forward by every message or pong, reset to 0 when it fails.
        self._live_until = 0.0
        self._pinged_at = 0.0
        self._ignored = 0

    # -- the request path ------------------------------------------------------------

    def is_revoked(self, jti: str, session_id: str | None, user_id: str, issued_at: int) -> bool:
        if _monotonic() > self._live_until:
            raise ServiceUnavailable("revocation channel down: cannot check tokens")
        return self.local.is_revoked(jti, session_id, user_id, issued_at)

    def cutoff(self, user_id: str) -> int:
        """The user's tokens issued before this epoch second are refused (0: none)."""
        return self.local.cutoff(user_id)

    def check(self) -> None:
        """Raises ServiceUnavailable if the list cannot vouch for tokens now."""
        self.is_revoked("", None, "", 0)

    # -- revoking --------------------------------------------------------------------

    async def revoke(self, revocation: Revocation) -> None:
        """Record (database), apply here, then tell the other instances."""
        await self.local.revoke(revocation)
        try:
            await self._client.publish(self.channel, encode(revocation))
        except RedisError as exc:
            log.warning(
                "could not publish a revocation (%s): other instances read it from the "
                "database within %.0f s",
                exc,
                BACKSTOP_POLL_SECONDS,
            )

    async def purge(self, now: int) -> int:
        return await self.local.purge(now)

    # -- life cycle ------------------------------------------------------------------

    async def start(self, now: int) -> None:
        """Subscribe, then load every active entry from the database.

        Raises:
            ConfigurationError: Redis is unreachable (naming AUTHGATE_REDIS_URL).
        """
        try:
            self._pubsub = await self._subscribe()
        except (RedisError, OSError, TimeoutError) as exc:
            raise ConfigurationError(
                f"AUTHGATE_REDIS_URL: cannot subscribe to Redis at {redact_url(self.url)} ({exc})"
            ) from None
        await self.local.start(now)
        self._mark_live()

    async def run_sync(self) -> None:
        """Follow the channel forever, resubscribing (and reloading) after an outage;
        poll the database as a backstop."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._follow())
            group.create_task(
                self.local.run_sync(BACKSTOP_POLL_SECONDS, stale_after=BACKSTOP_STALE_SECONDS)
            )

    async def stop(self) -> None:
        self._live_until = 0.0
        await self._close_pubsub()
        await self._subscriber.aclose()
        await self._client.aclose()
        await self.local.stop()

    # -- the subscription ----------------------------------------------------------

    async def _subscribe(self) -> PubSub:
        pubsub = self._subscriber.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            async with asyncio.timeout(SILENCE_SECONDS):
                while True:
                    message = await pubsub.get_message(timeout=PING_SECONDS)
                    if message is not None and message["type"] == "subscribe":
                        return pubsub
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise

    async def _follow(self) -> None:
        while True:
            try:
                if self._pubsub is None:
                    self._pubsub = await self._subscribe()
                    await self.local.start(int(self.local.clock()))  # Redis may be empty
                    self._mark_live()
                self.outage.recovered()
                await self._listen(self._pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis or the database: retried until back
                if _is_cancelling():  # a cancellation a library turned into an error
                    raise asyncio.CancelledError from exc
                self._live_until = 0.0
                self.outage.failed(f"{type(exc).__name__}: {exc}")
                await self._close_pubsub()
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _listen(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(timeout=PING_SECONDS)
            now = _monotonic()
            if message is not None:
                self._live_until = now + SILENCE_SECONDS
                if message["type"] == "message":
                    self._receive(message["data"])
            elif now > self._live_until:
                raise RedisConnectionError(f"no answer for {SILENCE_SECONDS:.0f} s")
            if now - self._pinged_at >= PING_SECONDS:
                self._pinged_at = now
                await pubsub.ping()

    def _receive(self, data: bytes) -> None:
        revocation = decode(data)
        if revocation is not None:
            self.local.apply(revocation)
            return
        self._ignored += 1
        if self._ignored == 1:
            log.warning("ignoring a message on %s that is not a revocation", self.channel)

    def _mark_live(self) -> None:
        self._pinged_at = _monotonic()
        self._live_until = self._pinged_at + SILENCE_SECONDS

    async def _close_pubsub(self) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None
