"""The seams of the core: what it needs from storage, the clocks and rate limiting.

Implementations live in ``authgate.storage``: SQLAlchemy (SQLite, PostgreSQL),
Redis, and in-process ones (``storage.memory``, for tests and embedding).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from authgate.core.models import (
    NewSession,
    Plan,
    RefreshRecord,
    Revocation,
    Rotation,
    Session,
    User,
)


class Clock(Protocol):
    """A clock handed in by the caller (``authgate.clock`` holds the real ones)."""

    def __call__(self) -> float:
        """Seconds: since the epoch, or on a monotonic clock, as the parameter says."""
        ...


class UserStore(Protocol):
    async def add(self, user: User, email_key: str) -> None:
        """Store a new user. Raises ``EmailTaken`` if the key exists."""
        ...

    async def add_many(self, new: Sequence[tuple[User, str]]) -> set[str]:
        """Store every user whose email key is free, in one transaction (all or
        none); return the keys that were taken. Raises ``EmailTaken`` (storing
        nothing) if one is registered meanwhile."""
        ...

    async def taken(self, email_keys: Sequence[str]) -> set[str]:
        """The keys among ``email_keys`` that are registered already."""
        ...

    async def by_email(self, email_key: str) -> User | None: ...

    async def by_id(self, user_id: str) -> User | None: ...

    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    async def disable(self, user_id: str, when: datetime) -> None: ...

    async def list(self, limit: int = 1000) -> Sequence[User]: ...


class SessionStore(Protocol):
    async def create(self, new: NewSession) -> bool:
        """Store a session with its first refresh token (expiring with the session),
        if the user is not disabled and its password hash is still ``new.credential``:
        checked in the transaction that inserts, so that a password change or a
        disable is either seen here or sees this session (``new.upgraded`` replaces
        the hash in that transaction).

        Returns False, storing nothing, when the check fails.
        """
        ...

    async def trim(self, user_id: str, keep: int, now: datetime) -> list[str]:
        """Revoke the user's oldest live sessions beyond the newest ``keep``; return
        their ids."""
        ...

    async def find_refresh(self, refresh_hash: str) -> RefreshRecord | None: ...

    async def rotate(self, rotation: Rotation) -> bool:
        """Atomically retire ``rotation.old_hash`` (if not yet retired), add
        ``rotation.new_hash`` and renew the session.

        Returns False, changing nothing, when another caller retired it first.
        """
        ...

    async def revoke(self, session_id: str, now: datetime) -> bool:
        """Revoke one session; False if it was not active."""
        ...

    async def revoke_all(self, user_id: str, now: datetime, keep: str | None = None) -> list[str]:
        """Revoke every active session of a user but ``keep``; return their ids."""
        ...

    async def get(self, session_id: str) -> Session | None: ...

    async def list_active(self, user_id: str, now: datetime) -> Sequence[Session]: ...

    async def purge(self, now: datetime) -> int:
        """Delete expired sessions and refresh tokens; return how many rows went."""
        ...


class RevocationStore(Protocol):
    """Where revocations are recorded, so that a restart forgets none."""

    async def add(self, revocation: Revocation, recorded_at: int) -> None:
        """Record an entry, stamped with the time it was recorded."""
        ...

    async def active(self, now: int, recorded_since: int | None = None) -> Sequence[Revocation]:
        """Entries not yet expired at ``now``; only those recorded since a time if given."""
        ...

    async def purge(self, now: int) -> int: ...


class RevocationList(Protocol):
    """The per-request revocation check and the ways to revoke.

    ``is_revoked`` is on the request path: it must not wait on any I/O.
    """

    def is_revoked(self, jti: str, session_id: str | None, user_id: str, issued_at: int) -> bool:
        """True if the token is revoked. Raises ``ServiceUnavailable`` if unsure."""
        ...

    async def revoke(self, revocation: Revocation) -> None: ...

    async def start(self, now: int) -> None: ...

    async def stop(self) -> None: ...

    async def purge(self, now: int) -> int: ...


class RateLimiter(Protocol):
    """Counts events per key under limits such as ``10 per 15 minutes``; answers
    how long a key must wait (0: may proceed). Raises ``ServiceUnavailable`` when
    its storage cannot be reached (never lets an attempt through uncounted)."""

    async def hit(self, limit: str, key: str) -> int:
        """Count one event; return the seconds to wait if that exhausted the limit."""
        ...

    async def reserve(self, limit: str, key: str) -> int:
        """Claim one attempt whose outcome is not known yet: 0 if claimed, else the
        seconds to wait. Claimed attempts count against the limit until settled, so
        a burst of simultaneous attempts gets no more tries than the limit allows."""
        ...

    async def settle(self, limit: str, key: str, *, failed: bool) -> None:
        """End a claimed attempt: count it if it failed, then release the claim."""
        ...


class PlanStore(Protocol):
    async def list(self, user_id: str) -> Sequence[Plan]: ...

    async def add(self, user_id: str, title: str, done: bool, now: datetime) -> Plan: ...

    async def get(self, user_id: str, plan_id: int) -> Plan | None: ...

    async def update(
        self, user_id: str, plan_id: int, title: str | None, done: bool | None
    ) -> Plan | None: ...

    async def delete(self, user_id: str, plan_id: int) -> bool: ...
