"""The service's activity and administration methods (API.md §3.3), a part of
:class:`~authgate.core.service.AuthService`."""

from __future__ import annotations

from authgate.core.activity import Activity, Page
from authgate.core.admin import Admin
from authgate.core.context import to_datetime
from authgate.core.events import EventLog
from authgate.core.models import Principal

#: Events pruned per transaction: small, so no prune holds the write lock for long.
PRUNE_BATCH = 1000


class AdminFacade:
    """A user's own events; everything an admin may do."""

    activity: Activity
    admin: Admin
    events: EventLog

    async def my_events(self, principal: Principal, cursor: str | None, limit: int | None) -> Page:
        """The caller's security events, newest first (see :meth:`Activity.page`)."""
        return await self.activity.page(cursor=cursor, limit=limit, user_id=principal.id)

    async def record_event(self, type: str, user_id: str | None = None, **detail: str) -> None:
        """Keep an event of something done outside the service (a key rotation)."""
        self.events.note(type, user_id, **detail)
        await self.events.flush()

    async def prune_events(self, now: float, retention: int) -> int:
        """Delete the events older than ``retention`` seconds, a batch at a time;
        how many went."""
        store = self.events.store
        if store is None:
            return 0
        removed = 0
        before = to_datetime(now - retention)
        while True:
            count = await store.prune(before, PRUNE_BATCH)
            removed += count
            if count < PRUNE_BATCH:
                return removed
