"""Users in SQL: emails unique case-insensitively through the ``email_key`` column."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from authgate.core.errors import EmailTaken
from authgate.core.models import User
from authgate.storage.sql.database import Database
from authgate.storage.sql.tables import as_utc, users

#: Email keys looked up per query (well under every database's parameter limit).
_IN_CHUNK = 500

_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.password_hash,
    users.c.created_at,
    users.c.disabled_at,
)
_SELECT = "SELECT id, email, password_hash, created_at, disabled_at FROM users"


def user_from_row(row: Any) -> User:
    user_id, email, password_hash, created_at, disabled_at = row
    return User(
        id=user_id,
        email=email,
        password_hash=password_hash,
        created_at=as_utc(created_at),
        disabled_at=None if disabled_at is None else as_utc(disabled_at),
    )


class SqlUsers:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, user: User, email_key: str) -> None:
        try:
            async with self.db.begin() as conn:
                await conn.execute(
                    insert(users).values(
                        id=user.id,
                        email=user.email,
                        email_key=email_key,
                        password_hash=user.password_hash,
                        created_at=user.created_at,
                        disabled_at=user.disabled_at,
                    )
                )
        except IntegrityError:
            # The unique index on email_key decides races: one insert wins.
            raise EmailTaken() from None

    async def add_many(self, new: Sequence[tuple[User, str]]) -> set[str]:
        try:
            async with self.db.begin() as conn:
                taken = await _taken(conn, [key for _, key in new])
                rows = [
                    {
                        "id": user.id,
                        "email": user.email,
                        "email_key": key,
                        "password_hash": user.password_hash,
                        "created_at": user.created_at,
                        "disabled_at": user.disabled_at,
                    }
                    for user, key in new
                    if key not in taken
                ]
                if rows:
                    await conn.execute(insert(users), rows)
        except IntegrityError:
            # Registered between the check and the insert: the transaction is rolled back.
            raise EmailTaken("an email was registered during the import") from None
        return taken

    async def taken(self, email_keys: Sequence[str]) -> set[str]:
        async with self.db.connect() as conn:
            return await _taken(conn, email_keys)

    async def by_email(self, email_key: str) -> User | None:
        return await self._one(f"{_SELECT} WHERE email_key = :key", {"key": email_key})

    async def by_id(self, user_id: str) -> User | None:
        return await self._one(f"{_SELECT} WHERE id = :id", {"id": user_id})

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=password_hash)
            )

    async def disable(self, user_id: str, when: datetime) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.disabled_at.is_(None))
                .values(disabled_at=when)
            )

    async def list(self, limit: int = 1000) -> Sequence[User]:
        async with self.db.connect() as conn:
            result = await conn.execute(
                select(*_COLUMNS).order_by(users.c.created_at, users.c.id).limit(limit)
            )
            return [user_from_row(row) for row in result]

    async def _one(self, sql: str, params: dict[str, str]) -> User | None:
        rows = await self.db.read(sql, params)
        return user_from_row(rows[0]) if rows else None


async def _taken(conn: AsyncConnection, email_keys: Sequence[str]) -> set[str]:
    """The registered keys among ``email_keys`` (a few queries, chunked)."""
    taken: set[str] = set()
    for start in range(0, len(email_keys), _IN_CHUNK):
        chunk = email_keys[start : start + _IN_CHUNK]
        query = select(users.c.email_key).where(users.c.email_key.in_(chunk))
        taken.update((await conn.execute(query)).scalars())
    return taken
