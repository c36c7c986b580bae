"""Reading security events (API.md §3.3): a user's own, and everyone's for admins.

Pages go newest first; a cursor is the id of the last event of the page before (an
opaque string to clients). Bad paging input is ``ValidationFailed`` (422).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime

from authgate.core.errors import ValidationFailed
from authgate.core.events import EVENT_TYPES, Event, EventLog, EventQuery

DEFAULT_PAGE = 50
MAX_PAGE = 200
_MAX_CURSOR_CHARS = 512

#: A page of results and the cursor of the next one (None: this was the last).
Page = tuple[Sequence[Event], str | None]


def page_size(limit: int | None) -> int:
    """``limit`` checked (1 to 200; default 50).

    Raises:
        ValidationFailed: out of range.
    """
    if limit is None:
        return DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be from 1 to {MAX_PAGE}")
    return limit


def encode_cursor(position: str) -> str:
    """An opaque cursor for a position in a listing."""
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The position a cursor stands for (None: from the start).

    Raises:
        ValidationFailed: not a cursor this service made.
    """
    if cursor is None or cursor == "":
        return None
    if len(cursor) > _MAX_CURSOR_CHARS:
        raise ValidationFailed("not a cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        return position.decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise ValidationFailed("not a cursor") from None


def _event_cursor(cursor: str | None) -> int | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    if not position.isdigit() or len(position) > 19:
        raise ValidationFailed("not a cursor")
    return int(position)


class Activity:
    """Pages of security events."""

    def __init__(self, events: EventLog) -> None:
        self.events = events

    async def page(
        self,
        *,
        cursor: str | None,
        limit: int | None,
        user_id: str | None = None,
        type: str | None = None,
        since: datetime | None = None,
    ) -> Page:
        """Events newest first, of one user and one type if given.

        Raises:
            ValidationFailed: a bad cursor, limit or type.
        """
        size = page_size(limit)
        if type is not None and type not in EVENT_TYPES:
            raise ValidationFailed(f"unknown event type {type!r}")
        query = EventQuery(
            limit=size + 1,
            before=_event_cursor(cursor),
            user_id=user_id,
            type=type,
            since=since,
        )
        found = list(await self.events.page(query))
        if len(found) <= size:
            return found, None
        page = found[:size]
        return page, encode_cursor(str(page[-1].id))
