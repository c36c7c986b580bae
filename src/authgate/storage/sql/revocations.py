"""The record of revocations in SQL: what every instance's in-memory list loads."""

from __future__ import annotations

from collections.abc import Sequence

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


def active_query(*, recorded_since: bool = False) -> Select[tuple[str, str, int, int]]:
    """The live entries (``:now``), only those recorded since ``:since`` if asked:
    the start-up load and each instance's poll."""
    query = select(
        revocations.c.kind, revocations.c.subject, revocations.c.cutoff, revocations.c.expires_at
    ).where(revocations.c.expires_at > bindparam("now"))
    if recorded_since:
        # Along ix_revocations_recorded_at: in id order SQLite scanned every live entry
        # on each poll (once a second). The order does not matter: applying an entry
        # only ever grows what is revoked.
        since = revocations.c.recorded_at >= bindparam("since")
        return query.where(since).order_by(revocations.c.recorded_at)
    return query.order_by(revocations.c.id)


_ACTIVE = {since: Prepared(active_query(recorded_since=since)) for since in (False, True)}
_PURGE = delete(revocations).where(
    revocations.c.id.in_(
        select(revocations.c.id)
        .where(revocations.c.expires_at <= bindparam("now"))
        .limit(_PURGE_BATCH)
        .scalar_subquery()
    )
)


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
        since = recorded_since is not None
        params = {"now": now, "since": recorded_since} if since else {"now": now}
        rows = await self.db.read(_ACTIVE[since], params)
        return [
            Revocation(kind=kind, subject=subject, cutoff=cutoff, expires_at=expires_at)
            for kind, subject, cutoff, expires_at in rows
        ]

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
