"""Sessions and their refresh tokens in SQL; rotation is one conditional UPDATE.

The request path's writes are plain SQL through :meth:`Database.write` (one thread
hand-off on SQLite); the rest is SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from authgate.core.models import RefreshRecord, Session, User
from authgate.storage.sql.database import Database
from authgate.storage.sql.tables import refresh_tokens, sessions, users

_PURGE_BATCH = 500
_INSERT_REFRESH = (
    "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)"
    " VALUES (:token_hash, :session_id, :created_at, :expires_at)"
)


def _session(row: Any) -> Session:
    return Session(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        user_agent=row.user_agent,
        revoked_at=row.revoked_at,
    )


class SqlSessions:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        session: Session,
        refresh_hash: str,
        *,
        credential: str,
        new_credential: str | None = None,
    ) -> bool:
        # The guard is an UPDATE of the user's row, so it also locks it: a password
        # change or a disable waits for this transaction (and then revokes the new
        # session), or commits first (and then the guard matches no row).
        return await self.db.write(
            [
                (
                    "UPDATE users SET password_hash = :new_hash WHERE id = :user_id"
                    " AND password_hash = :old_hash AND disabled_at IS NULL",
                    {
                        "user_id": session.user_id,
                        "old_hash": credential,
                        "new_hash": credential if new_credential is None else new_credential,
                    },
                ),
                (
                    "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at,"
                    " user_agent) VALUES (:id, :user_id, :created_at, :last_used_at,"
                    " :expires_at, :user_agent)",
                    {
                        "id": session.id,
                        "user_id": session.user_id,
                        "created_at": session.created_at,
                        "last_used_at": session.last_used_at,
                        "expires_at": session.expires_at,
                        "user_agent": session.user_agent,
                    },
                ),
                (
                    _INSERT_REFRESH,
                    {
                        "token_hash": refresh_hash,
                        "session_id": session.id,
                        "created_at": session.created_at,
                        "expires_at": session.expires_at,
                    },
                ),
            ],
            guard=True,
        )

    async def trim(self, user_id: str, keep: int, now: datetime) -> list[str]:
        live = (
            select(sessions.c.id)
            .where(
                sessions.c.user_id == user_id,
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > now,
            )
            .order_by(sessions.c.created_at.desc(), sessions.c.id.desc())
            .offset(keep)
        )
        async with self.db.connect() as conn:
            ids = list((await conn.execute(live)).scalars())
        if not ids:
            return []
        async with self.db.begin() as conn:
            await conn.execute(
                update(sessions)
                .where(sessions.c.id.in_(ids), sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return ids

    async def find_refresh(self, refresh_hash: str) -> RefreshRecord | None:
        query = (
            select(
                refresh_tokens.c.expires_at.label("token_expires_at"),
                refresh_tokens.c.rotated_at,
                refresh_tokens.c.successor_box,
                sessions,
                users.c.email,
                users.c.password_hash,
                users.c.created_at.label("user_created_at"),
                users.c.disabled_at,
            )
            .join(sessions, sessions.c.id == refresh_tokens.c.session_id)
            .join(users, users.c.id == sessions.c.user_id)
            .where(refresh_tokens.c.token_hash == refresh_hash)
        )
        async with self.db.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        user = User(
            id=row.user_id,
            email=row.email,
            password_hash=row.password_hash,
            created_at=row.user_created_at,
            disabled_at=row.disabled_at,
        )
        return RefreshRecord(
            session=_session(row),
            user=user,
            expires_at=row.token_expires_at,
            rotated_at=row.rotated_at,
            successor_box=row.successor_box,
        )

    async def rotate(
        self,
        session_id: str,
        old_hash: str,
        new_hash: str,
        successor_box: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> bool:
        # The guard's WHERE clause is the lock: of two racing rotations, the second
        # one's UPDATE waits for the first to commit, then matches no row.
        return await self.db.write(
            [
                (
                    "UPDATE refresh_tokens SET rotated_at = :now, successor_box = :box"
                    " WHERE token_hash = :old_hash AND rotated_at IS NULL",
                    {"now": now, "box": successor_box, "old_hash": old_hash},
                ),
                (
                    _INSERT_REFRESH,
                    {
                        "token_hash": new_hash,
                        "session_id": session_id,
                        "created_at": now,
                        "expires_at": expires_at,
                    },
                ),
                (
                    "UPDATE sessions SET last_used_at = :now, expires_at = :expires_at"
                    " WHERE id = :id",
                    {"now": now, "expires_at": expires_at, "id": session_id},
                ),
            ],
            guard=True,
        )

    async def revoke(self, session_id: str, now: datetime) -> bool:
        return await self.db.write(
            [
                (
                    "UPDATE sessions SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
                    {"now": now, "id": session_id},
                )
            ],
            guard=True,
        )

    async def revoke_all(self, user_id: str, now: datetime, keep: str | None = None) -> list[str]:
        async with self.db.begin() as conn:
            conditions = [sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)]
            if keep is not None:
                conditions.append(sessions.c.id != keep)
            ids = list((await conn.execute(select(sessions.c.id).where(*conditions))).scalars())
            if ids:
                await conn.execute(
                    update(sessions)
                    .where(sessions.c.id.in_(ids), sessions.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
        return ids

    async def get(self, session_id: str) -> Session | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(sessions).where(sessions.c.id == session_id))).first()
        return None if row is None else _session(row)

    async def list_active(self, user_id: str, now: datetime) -> Sequence[Session]:
        query = (
            select(sessions)
            .where(
                sessions.c.user_id == user_id,
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > now,
            )
            .order_by(sessions.c.created_at.desc())
        )
        async with self.db.connect() as conn:
            return [_session(row) for row in await conn.execute(query)]

    async def purge(self, now: datetime) -> int:
        """Delete expired refresh tokens and sessions, in small batches so that no
        transaction holds the (SQLite) write lock for long."""
        removed = 0
        for table, key, expired in (
            (refresh_tokens, refresh_tokens.c.token_hash, refresh_tokens.c.expires_at <= now),
            (sessions, sessions.c.id, sessions.c.expires_at <= now),
        ):
            while True:
                async with self.db.begin() as conn:
                    batch = select(key).where(expired).limit(_PURGE_BATCH).scalar_subquery()
                    count = (await conn.execute(delete(table).where(key.in_(batch)))).rowcount
                removed += count
                if count < _PURGE_BATCH:
                    break
        return removed
