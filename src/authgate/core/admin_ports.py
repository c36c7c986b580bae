"""What the administration of API.md §3.3 needs from storage: the user directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from authgate.core.models import User


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectoryQuery:
    """Users whose email key starts with ``prefix`` ("": all), in email-key order,
    after the key ``after`` (None: from the first), at most ``limit``."""

    prefix: str
    after: str | None
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectoryEntry:
    """One user found: with whether it has a second factor, and its email key (the
    position a next page starts after)."""

    user: User
    mfa: bool
    key: str


class UserDirectory(Protocol):
    async def search(self, query: DirectoryQuery) -> Sequence[DirectoryEntry]:
        """The users ``query`` selects, in email-key order."""
        ...
