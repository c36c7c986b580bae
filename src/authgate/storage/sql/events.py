"""Security events in SQL: kept with the change they record, paged newest first,
pruned in small batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, bindparam, delete, select

from authgate.core.events import Event, EventQuery
from authgate.storage.sql.database import Database
from authgate.storage.sql.event_rows import INSERT_EVENT, event_row
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import events

_COLUMNS = (
    events.c.id,
    events.c.type,
    events.c.at,
    events.c.user_id,
    events.c.actor_id,
    events.c.ip,
    events.c.user_agent,
    events.c.detail,
)
_PRUNE = Prepared(
    delete(events).where(
        events.c.id.in_(
            select(events.c.id)
            .where(events.c.at < bindparam("before"))
            # Oldest first along ix_events_at, which stops after a batch: in id
            # order SQLite scanned the whole table when nothing was due (10M rows at
            # 1M users; docs/performance.md, "Growth").
            .order_by(events.c.at)
            .limit(bindparam("batch"))
            .scalar_subquery()
        )
    )
)


def _page_query(*, before: bool, user: bool, type_: bool, since: bool) -> Prepared:
    query: Select[Any] = select(*_COLUMNS)
    if before:
        query = query.where(events.c.id < bindparam("before"))
    if user:
        query = query.where(events.c.user_id == bindparam("uid"))
    if type_:
        query = query.where(events.c.type == bindparam("kind"))
    if since:
        query = query.where(events.c.at >= bindparam("since"))
    return Prepared(query.order_by(events.c.id.desc()).limit(bindparam("limit")))


#: One prepared page query per combination of filters (16 at most, built on use).
_PAGES: dict[tuple[bool, bool, bool, bool], Prepared] = {}


def _event(row: Any) -> Event:
    detail = orjson.loads(row[7]) if row[7] else {}
    return Event(
        id=row[0],
        type=row[1],
        at=row[2],
        user_id=row[3],
        actor_id=row[4],
        ip=row[5],
        user_agent=row[6],
        detail={str(key): str(value) for key, value in detail.items()},
    )


class SqlEvents:
    """The event store of API.md §3.3 over :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(self, new: Sequence[Event]) -> None:
        await self.db.write([(INSERT_EVENT, event_row(event)) for event in new], events=False)

    async def page(self, query: EventQuery) -> Sequence[Event]:
        shape = (
            query.before is not None,
            query.user_id is not None,
            query.type is not None,
            query.since is not None,
        )
        prepared = _PAGES.get(shape)
        if prepared is None:
            prepared = _PAGES[shape] = _page_query(
                before=shape[0], user=shape[1], type_=shape[2], since=shape[3]
            )
        params = {
            "before": query.before,
            "uid": query.user_id,
            "kind": query.type,
            "since": query.since,
            "limit": query.limit,
        }
        wanted = {key: value for key, value in params.items() if value is not None}
        return [_event(row) for row in await self.db.read(prepared, wanted)]

    async def prune(self, before: datetime, batch: int) -> int:
        async with self.db.begin(events=False) as conn:
            result = await conn.execute(_PRUNE.statement, {"before": before, "batch": batch})
        return int(result.rowcount)
