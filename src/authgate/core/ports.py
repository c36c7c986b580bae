"""The seams of the core: what it needs from storage, the clocks and rate limiting.

The second factors' ports are in :mod:`authgate.core.factor_ports`.
Implementations live in ``authgate.storage``: SQLAlchemy (SQLite, PostgreSQL),
Redis, and in-process ones (``storage.memory``, for tests and embedding).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

from authgate.core.models import (
    EmailToken,
    MailOrder,
    NewSession,
    Plan,
    QueuedJob,
    RefreshRecord,
    ResetRequest,
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

    async def enable(self, user_id: str) -> None: ...

    async def set_roles(self, user_id: str, roles: Sequence[str]) -> None: ...

    def each(self) -> AsyncIterator[User]:
        """Every user, oldest first, read as it is consumed (a million fit)."""
        ...


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

    def pages(self, now: int) -> AsyncIterator[Sequence[Revocation]]:
        """Every entry not yet expired at ``now``, a page at a time (the start-up load)."""
        ...

    async def purge(self, now: int) -> int: ...


class RevocationList(Protocol):
    """The per-request revocation check and the ways to revoke.

    ``is_revoked`` is on the request path: it must not wait on any I/O.
    """

    def is_revoked(self, jti: str, session_id: str | None, user_id: str, issued_at: int) -> bool:
        """True if the token is revoked. Raises ``ServiceUnavailable`` if unsure."""
        ...

    def cutoff(self, user_id: str) -> int:
        """The user's tokens issued before this epoch second are refused (0: none)."""
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


class RecoveryStore(Protocol):
    """The tokens of API.md §3.1's links, the mails that carry them, account deletion."""

    async def issue(
        self, token: EmailToken | None, mails: Sequence[MailOrder], now: datetime
    ) -> None:
        """Store ``token`` (ending the user's live tokens of its purpose) and queue
        ``mails`` (due ``now``), in one transaction."""
        ...

    async def request_reset(self, request: ResetRequest, now: datetime) -> None:
        """Queue a ``forgot`` request for the sender to resolve."""
        ...

    async def find(self, token_hash: str) -> EmailToken | None: ...

    async def use_reset(self, token: EmailToken, password_hash: str, now: datetime) -> bool:
        """In one transaction: the token, if still live, is used up; the password is
        set; the address counts as verified; the user's other live tokens end.
        False: the token was no longer live (nothing changed)."""
        ...

    async def use_verify(self, token: EmailToken, now: datetime) -> bool:
        """Like :meth:`use_reset`, for a verification: the address is verified."""
        ...

    async def use_change(self, token: EmailToken, email_key: str, now: datetime) -> bool:
        """Like :meth:`use_reset`, for an email change: the account's address becomes
        ``token.new_email``, verified. Raises ``EmailTaken`` (nothing changed) if
        the address was registered meanwhile."""
        ...

    async def purge(self, now: datetime) -> None:
        """Forget link tokens expired before ``now``."""
        ...

    async def delete_user(self, user_id: str) -> bool:
        """Delete the account and all it owns (sessions, plans, tokens, queued mails).
        False: no such account."""
        ...


class MailQueue(Protocol):
    """The durable queue the mail sender works through (every instance may take part;
    a claimed job is leased, so each is handled by one sender at a time)."""

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[QueuedJob]:
        """Up to ``limit`` jobs due at ``now``, leased to the caller until ``lease_until``."""
        ...

    async def finish(
        self, job: QueuedJob, token: EmailToken | None = None, mails: Sequence[MailOrder] = ()
    ) -> None:
        """Remove the job; store what it produced (a token, mails), in one transaction."""
        ...

    async def postpone(self, job: QueuedJob, attempts: int, when: datetime) -> None:
        """Release the job to be tried again at ``when``."""
        ...

    async def depth(self) -> int:
        """How many jobs wait."""
        ...
