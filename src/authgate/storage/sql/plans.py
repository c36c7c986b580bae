"""The demo resource: each user's plans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from authgate.core.models import Plan
from authgate.storage.sql.database import Database
from authgate.storage.sql.tables import plans

_COLUMNS = (plans.c.id, plans.c.user_id, plans.c.title, plans.c.done, plans.c.created_at)


def _plan(row: Any) -> Plan:
    return Plan(
        id=row.id, user_id=row.user_id, title=row.title, done=row.done, created_at=row.created_at
    )


class SqlPlans:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, user_id: str) -> Sequence[Plan]:
        query = select(*_COLUMNS).where(plans.c.user_id == user_id).order_by(plans.c.id)
        async with self.db.connect() as conn:
            return [_plan(row) for row in await conn.execute(query)]

    async def add(self, user_id: str, title: str, done: bool, now: datetime) -> Plan:
        async with self.db.begin() as conn:
            result = await conn.execute(
                insert(plans).values(user_id=user_id, title=title, done=done, created_at=now)
            )
            plan_id = result.inserted_primary_key[0]  # type: ignore[index]
        return Plan(id=int(plan_id), user_id=user_id, title=title, done=done, created_at=now)

    async def get(self, user_id: str, plan_id: int) -> Plan | None:
        query = select(*_COLUMNS).where(plans.c.id == plan_id, plans.c.user_id == user_id)
        async with self.db.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _plan(row)

    async def update(
        self, user_id: str, plan_id: int, title: str | None, done: bool | None
    ) -> Plan | None:
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = title
        if done is not None:
            changes["done"] = done
        if changes:
            async with self.db.begin() as conn:
                await conn.execute(
                    update(plans)
                    .where(plans.c.id == plan_id, plans.c.user_id == user_id)
                    .values(**changes)
                )
        return await self.get(user_id, plan_id)

    async def delete(self, user_id: str, plan_id: int) -> bool:
        async with self.db.begin() as conn:
            result = await conn.execute(
                delete(plans).where(plans.c.id == plan_id, plans.c.user_id == user_id)
            )
        return bool(result.rowcount == 1)
