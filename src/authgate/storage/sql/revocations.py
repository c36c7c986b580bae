"""The record of revocations in SQL: what every instance's in-memory list loads."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, delete, insert, select

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
        query = select(
            revocations.c.kind,
            revocations.c.subject,
            revocations.c.cutoff,
            revocations.c.expires_at,
        ).where(revocations.c.expires_at > now)
        if recorded_since is not None:
            query = query.where(revocations.c.recorded_at >= recorded_since)
        async with self.db.connect() as conn:
            rows = await conn.execute(query.order_by(revocations.c.id))
            return [
                Revocation(
                    kind=row.kind, subject=row.subject, cutoff=row.cutoff, expires_at=row.expires_at
                )
                for row in rows
            ]

    async def purge(self, now: int) -> int:
        async with self.db.begin() as conn:
            result = await conn.execute(delete(revocations).where(revocations.c.expires_at <= now))
        return int(result.rowcount)
