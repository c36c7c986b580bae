"""The record of revocations in SQL: what every instance's in-memory list loads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select

from authgate.core.models import Revocation
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import revocations

_INSERT = Prepared(
    insert(revocations).values(
        {
            name: bindparam(name)
            for name in ("kind", "subject", "cutoff", "expires_at", "recorded_at")
        }
    )
)

_PURGE_BATCH = 500


def active_query(*, recorded_since: bool = False) -> Select[tuple[Any, ...]]:
    """The live entries (``:now``): the start-up load, a page of ``:page`` entries
    after the id ``:after``; or each instance's poll, those recorded since ``:since``."""
    columns = (
        revocations.c.kind,
        revocations.c.subject,
        revocations.c.cutoff,
        revocations.c.expires_at,
    )
    live = revocations.c.expires_at > bindparam("now")
    if recorded_since:
        # Along ix_revocations_recorded_at: in id order SQLite scanned every live entry
        # on each poll (once a second). The order does not matter: applying an entry
        # only ever grows what is revoked.
        since = revocations.c.recorded_at >= bindparam("since")
        return select(*columns).where(live, since).order_by(revocations.c.recorded_at)
    after = revocations.c.id > bindparam("after")
    return (
        select(*columns, revocations.c.id)
        .where(live, after)
        .order_by(revocations.c.id)
        .limit(bindparam("page"))
    )


#: Entries read per query at start-up: 100k rows fetched at once (driver records and
#: entries side by side) took ~30 MB more at their peak than the list they became.
_LOAD_PAGE = 5_000
_LOAD = Prepared(active_query())
_POLL = Prepared(active_query(recorded_since=True))
_PURGE = delete(revocations).where(
    revocations.c.id.in_(
        select(revocations.c.id)
        .where(revocations.c.expires_at <= bindparam("now"))
        .limit(_PURGE_BATCH)
        .scalar_subquery()
    )
)


def _entry(row: Any) -> Revocation:
    kind, subject, cutoff, expires_at = row[:4]
    return Revocation(kind=kind, subject=subject, cutoff=cutoff, expires_at=expires_at)


class SqlRevocationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, revocation: Revocation, recorded_at: int) -> None:
        params = {
            "kind": revocation.kind,
            "subject": revocation.subject,
            "cutoff": revocation.cutoff,
            "expires_at": revocation.expires_at,
            "recorded_at": recorded_at,
        }
        await self.db.write([(_INSERT, params)])

    async def active(self, now: int, recorded_since: int | None = None) -> Sequence[Revocation]:
        if recorded_since is not None:
            rows = await self.db.read(_POLL, {"now": now, "since": recorded_since})
            return [_entry(row) for row in rows]
        return [entry async for page in self.pages(now) for entry in page]

    async def pages(self, now: int) -> AsyncIterator[list[Revocation]]:
        after = 0
        while True:
            rows = await self.db.read(_LOAD, {"now": now, "after": after, "page": _LOAD_PAGE})
            yield [_entry(row) for row in rows]
            if len(rows) < _LOAD_PAGE:
                return
            after = rows[-1][4]

    async def purge(self, now: int) -> int:
        """Delete expired entries in small batches, so that no transaction holds the
        (SQLite) write lock for long: at 100k live entries they all expire within an
        access token's lifetime."""
        removed = 0
        while True:
            async with self.db.begin() as conn:
                count = int((await conn.execute(_PURGE, {"now": now})).rowcount)
            removed += count
            if count < _PURGE_BATCH:
                return removed
