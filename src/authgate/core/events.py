"""Security events (API.md §3.3): what happened to an account, when, from where.

A concern *notes* an event just before the write that does what the event records;
the SQL store's one write path (:meth:`Database.write
<authgate.storage.sql.database.Database.write>`) takes the events noted so far in
this task and inserts them in the same transaction. So an event is kept exactly when
its change is: a login whose session insert lost a race leaves no ``login`` behind,
and a committed password change always has its ``password_changed``.

Each concern calls :meth:`EventLog.flush` before it answers: it keeps, in a
transaction of their own, the events no write took (a failed login, a wrong code, a
lockout; and every event when the stores are not SQL). The web layer also flushes
whatever is left before a response goes out.

Where a request came from (its address and user agent) is set once per request by the
web layer (:func:`set_origin`) and read here, so no concern passes it around.

Events never hold a password, a token, a code or a secret: only ids, names and
reasons (``detail``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from authgate.core.ports import Clock

#: Every type of event, as API.md §3.3 names them and beyond.
EVENT_TYPES = frozenset(
    {
        "registered",
        "login",
        "login_failed",
        "mfa_failed",
        "locked_out",
        "logout",
        "logout_all",
        "refresh_reused",
        "session_revoked",
        "sessions_revoked",
        "password_changed",
        "password_reset",
        "email_verified",
        "email_changed",
        "account_deleted",
        "account_disabled",
        "account_enabled",
        "role_added",
        "role_removed",
        "mfa_enabled",
        "mfa_disabled",
        "recovery_codes_renewed",
        "passkey_added",
        "passkey_removed",
        "key_rotated",
    }
)
MAX_USER_AGENT = 512

log = logging.getLogger("authgate.events")


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One security event. ``actor_id`` is the admin who acted on ``user_id``'s
    account (None: the user, or the system); ``id`` is set once stored."""

    type: str
    at: datetime
    user_id: str | None
    actor_id: str | None = None
    ip: str | None = None
    user_agent: str = ""
    detail: Mapping[str, str] = field(default_factory=dict)
    id: int | None = None

    def as_log(self) -> dict[str, object]:
        """The event as the fields of one structured log line."""
        return {
            "event": self.type,
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "actor_id": self.actor_id,
            "ip": self.ip,
            "user_agent": self.user_agent,
            **self.detail,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class EventQuery:
    """A page of events, newest first: those with an id below ``before`` (None: from
    the newest), of one user and one type if given, since a time if given."""

    limit: int
    before: int | None = None
    user_id: str | None = None
    type: str | None = None
    since: datetime | None = None


class EventStore(Protocol):
    async def append(self, events: Sequence[Event]) -> None:
        """Keep ``events`` (in a transaction of their own)."""
        ...

    async def page(self, query: EventQuery) -> Sequence[Event]:
        """The events ``query`` selects, newest first, at most ``query.limit``."""
        ...

    async def prune(self, before: datetime, batch: int) -> int:
        """Delete up to ``batch`` of the events older than ``before``; how many."""
        ...


class Origin(Protocol):
    """Where the current request came from."""

    @property
    def ip(self) -> str | None: ...

    @property
    def user_agent(self) -> str: ...


@dataclass(frozen=True, slots=True)
class FixedOrigin:
    """An origin known in advance (the command line, a test)."""

    ip: str | None = None
    user_agent: str = ""


_NOWHERE = FixedOrigin()
_origin: ContextVar[Origin] = ContextVar("authgate_event_origin", default=_NOWHERE)
_pending: ContextVar[list[Event] | None] = ContextVar("authgate_pending_events", default=None)


def set_origin(origin: Origin) -> None:
    """Start a request (or a command): where it comes from, and no events noted yet.

    The list is made here, not on the first note, so that code running in a copy of
    this context (a task started by a middleware) notes into the same list."""
    _origin.set(origin)
    _pending.set([])


def has_pending() -> bool:
    """Whether events were noted in this context and not yet kept."""
    return bool(_pending.get())


def take_pending() -> list[Event]:
    """The events noted in this context and not yet kept (they are kept by whoever
    takes them: the transaction they join, or :meth:`EventLog.flush`)."""
    pending = _pending.get()
    if not pending:
        return []
    taken = list(pending)
    pending.clear()
    return taken


def log_events(events: Sequence[Event]) -> None:
    """One log line per event kept (structured fields under ``extra``; JSON lines
    with AUTHGATE_LOG_FORMAT=json)."""
    for event in events:
        log.info(
            "%s user=%s actor=%s ip=%s",
            event.type,
            event.user_id,
            event.actor_id,
            event.ip,
            extra={"security_event": event.as_log()},
        )


def clean_user_agent(user_agent: str) -> str:
    """A user agent fit to keep: no NUL, valid UTF-8, at most 512 characters."""
    return user_agent.replace("\x00", "").encode("utf-8", "replace").decode()[:MAX_USER_AGENT]


class EventLog:
    """Notes events for the transaction to come, and keeps what no write took."""

    def __init__(self, store: EventStore | None, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def note(
        self,
        type: str,
        user_id: str | None,
        *,
        actor_id: str | None = None,
        **detail: str,
    ) -> None:
        """Note an event; the next write of this task keeps it with its own change."""
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}")
        if self.store is None:
            return
        origin = _origin.get()
        event = Event(
            type=type,
            at=datetime.fromtimestamp(self.clock(), UTC),
            user_id=user_id,
            actor_id=actor_id,
            ip=origin.ip,
            user_agent=clean_user_agent(origin.user_agent),
            detail=detail,
        )
        pending = _pending.get()
        if pending is None:
            pending = []
            _pending.set(pending)
        pending.append(event)

    def discard(self) -> None:
        """Forget the events noted and not kept: the change they record did not
        happen (its write was refused)."""
        take_pending()

    async def flush(self) -> None:
        """Keep, in a transaction of their own, the events no write has taken."""
        events = take_pending()
        if events and self.store is not None:
            await self.store.append(events)
            log_events(events)

    async def page(self, query: EventQuery) -> Sequence[Event]:
        """See :meth:`EventStore.page` (nothing without a store)."""
        return [] if self.store is None else await self.store.page(query)
