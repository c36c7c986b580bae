"""Sessions and their refresh tokens in SQL; rotation is one conditional UPDATE.

The request path's statements are :class:`Prepared` (compiled once): its writes go
through :meth:`Database.write` (one thread hand-off on SQLite), its reads through
:meth:`Database.read`. The rest (transactions that read and write, batches) is
SQLAlchemy Core on the engine.

A session's idle end is ``idle_until``, renewed by each refresh; ``expires_at`` is
when its row may be purged, which only the purge reads and an index serves. It lies
at or after the idle end and moves only when the idle end passes it, then a quarter
of the session's remaining life beyond (:func:`kept_until`): so most refreshes change
no indexed column, and PostgreSQL writes them as HOT updates (migration 0008). Rows
written before 0008 have no ``idle_until``; their ``expires_at`` is the idle end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, select, update

from authgate.core.models import NewSession, RefreshRecord, Rotation, Session
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import refresh_tokens, sessions, users
from authgate.storage.sql.users import user_from_row

_PURGE_BATCH = 500
#: How far past the idle end a session's row is kept, as a share of the time left.
_SLACK = 0.25


def kept_until(idle_end: datetime, now: datetime) -> datetime:
    """When a session's row may be purged, written when its idle end passes the last
    such time: a quarter of its remaining life past the idle end."""
    return idle_end + max(idle_end - now, timedelta(0)) * _SLACK


def rotate_at_once(rotation: Rotation) -> dict[str, Any]:
    """The parameters of the rotation's one PostgreSQL statement (``_ROTATE_AT_ONCE``)."""
    return {
        "now": rotation.now,
        "box": rotation.successor_box,
        "old_hash": rotation.old_hash,
        "new_hash": rotation.new_hash,
        "expires_at": rotation.expires_at,
        "kept_until": kept_until(rotation.expires_at, rotation.now),
    }


#: A session's idle end: ``idle_until``, or for a row from before 0008 ``expires_at``.
_IDLE_END = func.coalesce(sessions.c.idle_until, sessions.c.expires_at)

#: The credential check of a login (see :meth:`SqlSessions.create`).
_GUARD_USER = Prepared(
    update(users)
    .where(
        users.c.id == bindparam("user_id"),
        users.c.password_hash == bindparam("old_hash"),
        users.c.disabled_at.is_(None),
    )
    .values(password_hash=bindparam("new_hash"))
)
_INSERT_SESSION = Prepared(
    insert(sessions).values(
        id=bindparam("id"),
        user_id=bindparam("user_id"),
        created_at=bindparam("created_at"),
        last_used_at=bindparam("last_used_at"),
        expires_at=bindparam("kept_until"),
        idle_until=bindparam("expires_at"),
        user_agent=bindparam("user_agent"),
        auth_time=bindparam("auth_time"),
        amr=bindparam("amr"),
    )
)
_INSERT_REFRESH = Prepared(
    insert(refresh_tokens).values(
        token_hash=bindparam("token_hash"),
        session_id=bindparam("session_id"),
        created_at=bindparam("created_at"),
        expires_at=bindparam("expires_at"),
    )
)
#: The guard of a rotation: the presented token retired, if it still was current.
_RETIRE = (
    update(refresh_tokens)
    .where(
        refresh_tokens.c.token_hash == bindparam("old_hash"),
        refresh_tokens.c.rotated_at.is_(None),
    )
    .values(rotated_at=bindparam("now"), successor_box=bindparam("box"))
)
_ROTATE_REFRESH = Prepared(_RETIRE)
#: A refresh's renewal of its session: the idle end moves; the purge time only when
#: the idle end passes it (otherwise it is set to itself, which keeps the update HOT).
_RENEWED = {
    "last_used_at": bindparam("now"),
    "idle_until": bindparam("expires_at", type_=sessions.c.idle_until.type),
    "expires_at": case(
        (
            sessions.c.expires_at < bindparam("expires_at", type_=sessions.c.expires_at.type),
            bindparam("kept_until", type_=sessions.c.expires_at.type),
        ),
        else_=sessions.c.expires_at,
    ),
}
_EXTEND_SESSION = Prepared(
    update(sessions).where(sessions.c.id == bindparam("session_id")).values(_RENEWED)
)

#: The three writes of a rotation as one PostgreSQL statement (data-modifying CTEs run
#: in one implicit transaction): one round trip instead of five (``BEGIN``, three
#: statements, ``COMMIT``). Nothing is inserted or extended unless the guard's UPDATE
#: matched; the answer is the number of rows it rotated (0 or 1).
_ROTATED = _RETIRE.returning(refresh_tokens.c.session_id).cte("rotated")
_SUCCESSOR = (
    insert(refresh_tokens)
    .from_select(
        ["token_hash", "session_id", "created_at", "expires_at"],
        select(
            bindparam("new_hash", type_=refresh_tokens.c.token_hash.type),
            _ROTATED.c.session_id,
            bindparam("now", type_=refresh_tokens.c.created_at.type),
            bindparam("expires_at", type_=refresh_tokens.c.expires_at.type),
        ),
    )
    .cte("successor")
)
_EXTENDED = (
    update(sessions)
    .where(sessions.c.id.in_(select(_ROTATED.c.session_id)))
    .values(_RENEWED)
    .cte("extended")
)
_ROTATE_AT_ONCE = Prepared(
    select(func.count()).select_from(_ROTATED).add_cte(_SUCCESSOR, _EXTENDED)
)
_REVOKE = Prepared(
    update(sessions)
    .where(sessions.c.id == bindparam("session_id"), sessions.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
_FIND_REFRESH = Prepared(
    select(
        sessions,
        refresh_tokens.c.expires_at,
        refresh_tokens.c.rotated_at,
        refresh_tokens.c.successor_box,
        users.c.email,
        users.c.password_hash,
        users.c.created_at,
        users.c.disabled_at,
        users.c.email_verified_at,
        users.c.roles,
    )
    .select_from(refresh_tokens)
    .join(sessions, sessions.c.id == refresh_tokens.c.session_id)
    .join(users, users.c.id == sessions.c.user_id)
    .where(refresh_tokens.c.token_hash == bindparam("token_hash"))
)
_GET = Prepared(select(sessions).where(sessions.c.id == bindparam("session_id")))
_LIST_ACTIVE = Prepared(
    select(sessions)
    .where(
        sessions.c.user_id == bindparam("user_id"),
        sessions.c.revoked_at.is_(None),
        _IDLE_END > bindparam("now"),
    )
    .order_by(sessions.c.created_at.desc())
)
#: A user's live sessions beyond the newest ``keep`` (the login's session cap).
_BEYOND_NEWEST = Prepared(
    select(sessions.c.id)
    .where(
        sessions.c.user_id == bindparam("user_id"),
        sessions.c.revoked_at.is_(None),
        _IDLE_END > bindparam("now"),
    )
    .order_by(sessions.c.created_at.desc(), sessions.c.id.desc())
    .offset(bindparam("keep"))
)
#: The columns of ``select(sessions)``, which the queries above start with.
_SESSION_COLUMNS = len(sessions.c)


def _session(row: Sequence[Any]) -> Session:
    (
        session_id,
        user_id,
        created_at,
        last_used_at,
        kept,
        user_agent,
        revoked_at,
        auth_time,
        amr,
        idle_until,
    ) = row[:_SESSION_COLUMNS]
    return Session(
        id=session_id,
        user_id=user_id,
        created_at=created_at,
        last_used_at=last_used_at,
        expires_at=kept if idle_until is None else idle_until,
        user_agent=user_agent,
        revoked_at=revoked_at,
        auth_time=int(auth_time or 0),
        amr=tuple(amr.split(" ")) if amr else ("pwd",),
    )


class SqlSessions:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, new: NewSession) -> bool:
        session = new.session
        # The guard is an UPDATE of the user's row, so it also locks it: a password
        # change or a disable waits for this transaction (and then revokes the new
        # session), or commits first (and then the guard matches no row).
        return await self.db.write(
            [
                (
                    _GUARD_USER,
                    {
                        "user_id": session.user_id,
                        "old_hash": new.credential,
                        "new_hash": new.credential if new.upgraded is None else new.upgraded,
                    },
                ),
                (
                    _INSERT_SESSION,
                    {
                        "id": session.id,
                        "user_id": session.user_id,
                        "created_at": session.created_at,
                        "last_used_at": session.last_used_at,
                        "expires_at": session.expires_at,
                        "kept_until": kept_until(session.expires_at, session.created_at),
                        "user_agent": session.user_agent,
                        "auth_time": session.auth_time,
                        "amr": " ".join(session.amr),
                    },
                ),
                (
                    _INSERT_REFRESH,
                    {
                        "token_hash": new.refresh_hash,
                        "session_id": session.id,
                        "created_at": session.created_at,
                        "expires_at": session.expires_at,
                    },
                ),
            ],
            guard=True,
        )

    async def trim(self, user_id: str, keep: int, now: datetime) -> list[str]:
        # On every login: a fast read, and a write only when there is one to end.
        rows = await self.db.read(_BEYOND_NEWEST, {"user_id": user_id, "now": now, "keep": keep})
        ids = [row[0] for row in rows]
        if ids:
            await self.db.write([(_REVOKE, {"now": now, "session_id": i}) for i in ids])
        return ids

    async def find_refresh(self, refresh_hash: str) -> RefreshRecord | None:
        rows = await self.db.read(_FIND_REFRESH, {"token_hash": refresh_hash})
        if not rows:
            return None
        row = rows[0]
        expires_at, rotated_at, successor_box = row[_SESSION_COLUMNS : _SESSION_COLUMNS + 3]
        session = _session(row)
        user = user_from_row((session.user_id, *row[_SESSION_COLUMNS + 3 :]))
        return RefreshRecord(
            session=session,
            user=user,
            expires_at=expires_at,
            rotated_at=rotated_at,
            successor_box=successor_box,
        )

    async def rotate(self, rotation: Rotation) -> bool:
        # The guard's WHERE clause is the lock: of two racing rotations, the second
        # one's UPDATE waits for the first to commit, then matches no row.
        if self.db.writes_in_one_statement:
            rows = await self.db.write_statement(_ROTATE_AT_ONCE, rotate_at_once(rotation))
            return bool(rows[0][0] == 1)
        now, expires_at, session_id = rotation.now, rotation.expires_at, rotation.session_id
        kept = kept_until(expires_at, now)
        return await self.db.write(
            [
                (
                    _ROTATE_REFRESH,
                    {"now": now, "box": rotation.successor_box, "old_hash": rotation.old_hash},
                ),
                (
                    _INSERT_REFRESH,
                    {
                        "token_hash": rotation.new_hash,
                        "session_id": session_id,
                        "created_at": now,
                        "expires_at": expires_at,
                    },
                ),
                (
                    _EXTEND_SESSION,
                    {
                        "now": now,
                        "expires_at": expires_at,
                        "kept_until": kept,
                        "session_id": session_id,
                    },
                ),
            ],
            guard=True,
        )

    async def revoke(self, session_id: str, now: datetime) -> bool:
        return await self.db.write([(_REVOKE, {"now": now, "session_id": session_id})], guard=True)

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
        rows = await self.db.read(_GET, {"session_id": session_id})
        return _session(rows[0]) if rows else None

    async def list_active(self, user_id: str, now: datetime) -> Sequence[Session]:
        rows = await self.db.read(_LIST_ACTIVE, {"user_id": user_id, "now": now})
        return [_session(row) for row in rows]

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
