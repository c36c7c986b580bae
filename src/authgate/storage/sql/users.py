"""Users in SQL: emails unique case-insensitively through the ``email_key`` column."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from authgate.core.errors import EmailTaken
from authgate.core.models import User
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import email_tokens, users

#: Email keys looked up per query (well under every database's parameter limit).
_IN_CHUNK = 500
_EACH_BATCH = 2000  # rows per fetch of each()

USER_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.password_hash,
    users.c.created_at,
    users.c.disabled_at,
    users.c.email_verified_at,
    users.c.roles,
)
_BY_EMAIL = Prepared(select(*USER_COLUMNS).where(users.c.email_key == bindparam("key")))
_BY_ID = Prepared(select(*USER_COLUMNS).where(users.c.id == bindparam("id")))
_INSERT = Prepared(
    insert(users).values(
        id=bindparam("id"),
        email=bindparam("email"),
        email_key=bindparam("email_key"),
        password_hash=bindparam("password_hash"),
        created_at=bindparam("created_at"),
        disabled_at=bindparam("disabled_at"),
        email_verified_at=bindparam("email_verified_at"),
    )
)
_SET_PASSWORD_HASH = Prepared(
    update(users).where(users.c.id == bindparam("user_id")).values(password_hash=bindparam("hash"))
)
#: A password change ends every live link token of the account (API.md §3.1).
END_LINK_TOKENS = Prepared(
    delete(email_tokens).where(email_tokens.c.user_id == bindparam("user_id"))
)
_SET_ROLES = Prepared(
    update(users).where(users.c.id == bindparam("uid")).values(roles=bindparam("role_list"))
)
_DISABLE = Prepared(
    update(users)
    .where(users.c.id == bindparam("user_id"), users.c.disabled_at.is_(None))
    .values(disabled_at=bindparam("when"))
)

_ENABLE = Prepared(update(users).where(users.c.id == bindparam("user_id")).values(disabled_at=None))


def user_from_row(row: Any) -> User:
    """A user from the columns of ``USER_COLUMNS``, in their order."""
    user_id, email, password_hash, created_at, disabled_at, email_verified_at, roles = row
    return User(
        roles=tuple(roles.split()) if roles else (),
        id=user_id,
        email=email,
        password_hash=password_hash,
        created_at=created_at,
        disabled_at=disabled_at,
        email_verified_at=email_verified_at,
    )


class SqlUsers:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, user: User, email_key: str) -> None:
        try:
            await self.db.write(
                [
                    (
                        _INSERT,
                        {
                            "id": user.id,
                            "email": user.email,
                            "email_key": email_key,
                            "password_hash": user.password_hash,
                            "created_at": user.created_at,
                            "disabled_at": user.disabled_at,
                            "email_verified_at": user.email_verified_at,
                        },
                    )
                ]
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
                        "email_verified_at": user.email_verified_at,
                        "roles": " ".join(user.roles),
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
        return await self._one(_BY_EMAIL, {"key": email_key})

    async def by_id(self, user_id: str) -> User | None:
        return await self._one(_BY_ID, {"id": user_id})

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self.db.write(
            [
                (_SET_PASSWORD_HASH, {"user_id": user_id, "hash": password_hash}),
                (END_LINK_TOKENS, {"user_id": user_id}),
            ]
        )

    async def set_roles(self, user_id: str, roles: Sequence[str]) -> None:
        await self.db.write([(_SET_ROLES, {"uid": user_id, "role_list": " ".join(roles)})])

    async def disable(self, user_id: str, when: datetime) -> None:
        await self.db.write([(_DISABLE, {"user_id": user_id, "when": when})])

    async def enable(self, user_id: str) -> None:
        await self.db.write([(_ENABLE, {"user_id": user_id})])

    async def each(self) -> AsyncIterator[User]:
        """One query, its rows fetched a batch at a time (a server-side cursor)."""
        query = select(*USER_COLUMNS).order_by(users.c.created_at, users.c.id)
        async with self.db.connect() as conn:
            result = await conn.stream(query.execution_options(yield_per=_EACH_BATCH))
            async for batch in result.partitions():  # not row by row: a greenlet each
                for row in batch:
                    yield user_from_row(row)

    async def _one(self, query: Prepared, params: dict[str, str]) -> User | None:
        rows = await self.db.read(query, params)
        return user_from_row(rows[0]) if rows else None


async def _taken(conn: AsyncConnection, email_keys: Sequence[str]) -> set[str]:
    """The registered keys among ``email_keys`` (a few queries, chunked)."""
    taken: set[str] = set()
    for start in range(0, len(email_keys), _IN_CHUNK):
        chunk = email_keys[start : start + _IN_CHUNK]
        query = select(users.c.email_key).where(users.c.email_key.in_(chunk))
        taken.update((await conn.execute(query)).scalars())
    return taken
