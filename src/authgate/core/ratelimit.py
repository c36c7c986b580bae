"""The rate-limit policy: what is counted, under which key, and when it refuses.

The counting itself is the ``RateLimiter`` port's (in process, or ``limits`` on
Redis); this module decides what to count. Keys carry no email or address in clear.
Failed logins count per account and per address, claimed before the password is
checked so that a burst cannot overshoot; registrations and requests that send a
mail count per address, mails per account. An IPv6
client is one address per /64. Password checks of one account wait for the hashing
threads one at a time, so a storm on one account takes turns with everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
from collections.abc import AsyncIterator

from authgate.core.errors import TooManyAttempts
from authgate.core.ports import RateLimiter
from authgate.core.settings import Settings

LIMIT_OFF = "off"
#: Mails one account may be sent per hour (API.md §2), whatever the address limit.
MAIL_ACCOUNT_LIMIT = "3 per hour"
#: Password checks of one account that may wait for the hashing threads at once.
ACCOUNT_HASH_SLOTS = 1

#: A limit (in the ``limits`` notation) and the key it counts.
Limit = tuple[str, str]


def is_off(limit: str) -> bool:
    """True for a limit that is switched off (``off``, any case)."""
    return limit.strip().lower() == LIMIT_OFF


def limit_key(scope: str, subject: str) -> str:
    """A rate-limit key that carries no email or address in clear, of any content."""
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{scope}:{digest}"


def address_subject(address: str) -> str:
    """What a per-address limit counts for a client address: an IPv4 address, or the
    /64 network of an IPv6 one (RFC 4291 §2.5.1: one subscriber or host holds a
    whole /64 and may pick any address in it, so a /128 key would count nothing)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Throttle:
    """The limits of API.md §2 applied through a ``RateLimiter`` (None: no limits)."""

    def __init__(self, settings: Settings, limiter: RateLimiter | None) -> None:
        self.settings = settings
        self.limiter = limiter
        self._hash_turns: dict[str, tuple[asyncio.Semaphore, int]] = {}

    def login_limits(self, account: str, address: str | None) -> list[Limit]:
        """The limits a login attempt counts under: its account, and its address."""
        limits = [(self.settings.limit_login_account, limit_key("login:account", account))]
        if address is not None:
            limits.append(
                (
                    self.settings.limit_login_address,
                    limit_key("login:address", address_subject(address)),
                )
            )
        return limits

    async def reserve(self, limits: list[Limit]) -> None:
        """Claim an attempt under every limit, or none.

        Raises:
            TooManyAttempts: a limit is exhausted (nothing stays claimed).
        """
        if self.limiter is None:
            return
        claimed: list[Limit] = []
        try:
            for limit, key in limits:
                if is_off(limit):
                    continue
                wait = await self.limiter.reserve(limit, key)
                if wait:
                    raise TooManyAttempts(wait, key.rsplit(":", 1)[0])
                claimed.append((limit, key))
        except BaseException:
            await self.settle(claimed, failed=False)
            raise

    async def settle(self, limits: list[Limit], *, failed: bool) -> None:
        """End claimed attempts: counted if they failed."""
        if self.limiter is None:
            return
        for limit, key in limits:
            if not is_off(limit):
                await self.limiter.settle(limit, key, failed=failed)

    async def count_registration(self, address: str) -> None:
        """Count a registration from ``address``.

        Raises:
            TooManyAttempts: too many from this address.
        """
        await self._count_address(self.settings.limit_register_address, "register", address)

    async def count_mail(self, address: str) -> None:
        """Count a request that sends a mail, from ``address``.

        Raises:
            TooManyAttempts: too many from this address.
        """
        await self._count_address(self.settings.limit_mail_address, "mail", address)

    async def count_passkey_options(self, address: str) -> None:
        """Count a passkey sign-in started from ``address`` (each stores a challenge),
        under the per-address login limit.

        Raises:
            TooManyAttempts: too many from this address.
        """
        await self._count_address(self.settings.limit_login_address, "passkey", address)

    async def _count_address(self, limit: str, scope: str, address: str) -> None:
        """Count one event of ``scope`` from ``address`` under ``limit``.

        Raises:
            TooManyAttempts: the limit is exhausted for this address.
        """
        if self.limiter is None or is_off(limit):
            return
        wait = await self.limiter.hit(
            limit, limit_key(f"{scope}:address", address_subject(address))
        )
        if wait:
            raise TooManyAttempts(wait, scope)

    async def mail_allowed(self, user_id: str) -> bool:
        """Count a mail to an account; False beyond :data:`MAIL_ACCOUNT_LIMIT` (the
        caller answers the same and sends nothing)."""
        if self.limiter is None:
            return True
        return not await self.limiter.hit(MAIL_ACCOUNT_LIMIT, limit_key("mail:account", user_id))

    @contextlib.asynccontextmanager
    async def hash_turn(self, account: str) -> AsyncIterator[None]:
        """Wait for one of the account's hashing slots (:data:`ACCOUNT_HASH_SLOTS`)."""
        semaphore, waiting = self._hash_turns.get(account, (None, 0))
        if semaphore is None:
            semaphore = asyncio.Semaphore(ACCOUNT_HASH_SLOTS)
        self._hash_turns[account] = (semaphore, waiting + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, waiting = self._hash_turns[account]
            if waiting == 1:
                del self._hash_turns[account]
            else:
                self._hash_turns[account] = (semaphore, waiting - 1)


class LockoutMemo:
    """Which lockouts this process has seen begin, so each is kept as one event:
    ``first(subject, now, lasts)`` is True once per subject until the lockout ends.
    Bounded: at most ``size`` subjects are remembered (the oldest go first)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._until: dict[str, float] = {}

    def first(self, subject: str, now: float, lasts: float) -> bool:
        until = self._until.get(subject)
        if until is not None and until > now:
            return False
        self._until.pop(subject, None)
        while len(self._until) >= self.size:
            del self._until[next(iter(self._until))]
        self._until[subject] = now + lasts
        return True
