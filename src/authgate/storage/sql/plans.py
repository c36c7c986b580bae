"""The demo resource: each user's plans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from authgate.core.errors import TokenInvalid
from authgate.core.models import Plan
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import plans

_SELECT = select(plans.c.id, plans.c.title, plans.c.done, plans.c.created_at).where(
    plans.c.user_id == bindparam("user_id")
)
_LIST = Prepared(_SELECT.order_by(plans.c.id))
_GET = Prepared(_SELECT.where(plans.c.id == bindparam("plan_id")))
#: Not named after a column: the engine takes such a parameter of an UPDATE for a value
#: to set.
_OWN = (plans.c.id == bindparam("plan_id"), plans.c.user_id == bindparam("owner"))
_DELETE = Prepared(delete(plans).where(*_OWN))
#: One UPDATE for each set of changed columns.
_UPDATES = {
    frozenset(names): Prepared(
        update(plans).where(*_OWN).values({name: bindparam(name) for name in names})
    )
    for names in (("title",), ("done",), ("title", "done"))
}


def _plan(user_id: str, row: Any) -> Plan:
    plan_id, title, done, created_at = row
    return Plan(id=plan_id, user_id=user_id, title=title, done=done, created_at=created_at)


class SqlPlans:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, user_id: str) -> Sequence[Plan]:
        return [_plan(user_id, row) for row in await self.db.read(_LIST, {"user_id": user_id})]

    async def add(self, user_id: str, title: str, done: bool, now: datetime) -> Plan:
        """Raises TokenInvalid if no such user exists (a token signed for an account
        that is gone: API.md counts that under "anything else")."""
        try:
            async with self.db.begin() as conn:
                result = await conn.execute(
                    insert(plans).values(user_id=user_id, title=title, done=done, created_at=now)
                )
                plan_id = result.inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError:  # the only constraint an insert can break: the owner
            raise TokenInvalid("no such user") from None
        return Plan(id=int(plan_id), user_id=user_id, title=title, done=done, created_at=now)

    async def get(self, user_id: str, plan_id: int) -> Plan | None:
        rows = await self.db.read(_GET, {"user_id": user_id, "plan_id": plan_id})
        return _plan(user_id, rows[0]) if rows else None

    async def update(
        self, user_id: str, plan_id: int, title: str | None, done: bool | None
    ) -> Plan | None:
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = title
        if done is not None:
            changes["done"] = done
        if changes:
            statement = _UPDATES[frozenset(changes)]
            await self.db.write([(statement, {**changes, "owner": user_id, "plan_id": plan_id})])
        return await self.get(user_id, plan_id)

    async def delete(self, user_id: str, plan_id: int) -> bool:
        return await self.db.write([(_DELETE, {"owner": user_id, "plan_id": plan_id})], guard=True)
