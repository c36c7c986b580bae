"""What every concern of the service works with: the ports, the keys, the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from authgate.core.events import EventLog
from authgate.core.passwords import Passwords
from authgate.core.ports import Clock, RevocationList, SessionStore, UserStore
from authgate.core.ratelimit import Throttle
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens


def to_datetime(epoch: float) -> datetime:
    """An aware UTC datetime from seconds since the epoch."""
    return datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceContext:
    """The parts shared by accounts, sessions (and the capabilities to come)."""

    settings: Settings
    users: UserStore
    sessions: SessionStore
    revocations: RevocationList
    passwords: Passwords
    tokens: AccessTokens
    throttle: Throttle
    events: EventLog
    clock: Clock
