"""How the SQL store keeps a session's row (migration 0008): the idle end moves with
every refresh; the purge time, which an index serves, only in steps, so that most
refreshes change no indexed column (a HOT update on PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from authgate.core.models import NewSession, Rotation, Session
from authgate.storage.sql import Database, SqlSessions
from authgate.storage.sql import sessions as sessions_store
from authgate.storage.sql.sessions import kept_until
from authgate.storage.sql.tables import sessions as sessions_table
from tests.integration.conftest import add_user

NOW = datetime(2026, 12, 3, 6, 0, 0, tzinfo=UTC)
IDLE = timedelta(days=4)


async def open_session(db: Database, refresh_hash: str = "a" * 64) -> Session:
    session = Session(
        id=str(uuid.uuid4()),
        user_id=await add_user(db, NOW),
        created_at=NOW,
        last_used_at=NOW,
        expires_at=NOW + IDLE,
        user_agent="test",
    )
    new = NewSession(session=session, refresh_hash=refresh_hash, credential="x")
    assert await SqlSessions(db).create(new)
    return session


def rotation(session: Session, old: str, new: str, at: datetime) -> Rotation:
    return Rotation(
        session_id=session.id,
        old_hash=old * 64,
        new_hash=new * 64,
        successor_box=b"box",
        now=at,
        expires_at=at + IDLE,
    )


async def row(db: Database, session_id: str) -> tuple[datetime, datetime | None]:
    """The stored purge time and idle end of a session."""
    columns = select(sessions_table.c.expires_at, sessions_table.c.idle_until)
    async with db.begin(events=False) as conn:
        result = await conn.execute(columns.where(sessions_table.c.id == session_id))
        kept, idle = result.one()
    return kept, idle


def test_the_row_is_kept_a_quarter_of_the_time_left_past_the_idle_end() -> None:
    assert kept_until(NOW + IDLE, NOW) == NOW + IDLE + IDLE / 4
    assert kept_until(NOW - timedelta(seconds=1), NOW) == NOW - timedelta(seconds=1)


async def test_a_refresh_moves_the_purge_time_only_when_the_idle_end_passes_it(
    db: Database,
) -> None:
    sessions = SqlSessions(db)
    session = await open_session(db)
    assert await row(db, session.id) == (NOW + IDLE + IDLE / 4, NOW + IDLE)

    soon = NOW + timedelta(hours=1)
    assert await sessions.rotate(rotation(session, "a", "b", soon))
    assert await row(db, session.id) == (NOW + IDLE + IDLE / 4, soon + IDLE)
    record = await sessions.find_refresh("b" * 64)
    assert record is not None
    assert (record.session.expires_at, record.session.last_used_at) == (soon + IDLE, soon)

    later = NOW + timedelta(days=2)  # its idle end (6 days) is past the purge time (5)
    assert await sessions.rotate(rotation(session, "b", "c", later))
    assert await row(db, session.id) == (later + IDLE + IDLE / 4, later + IDLE)
    listed = await sessions.list_active(session.user_id, later)
    assert [(s.id, s.expires_at) for s in listed] == [(session.id, later + IDLE)]


async def test_past_its_idle_end_a_session_is_not_listed_while_its_row_is_kept(
    db: Database,
) -> None:
    sessions = SqlSessions(db)
    session = await open_session(db)
    idle_over = NOW + IDLE + timedelta(seconds=1)
    assert await sessions.list_active(session.user_id, idle_over - timedelta(seconds=2)) != []
    assert await sessions.list_active(session.user_id, idle_over) == []
    assert await sessions.trim(session.user_id, 0, idle_over) == []  # not live: not trimmed
    record = await sessions.find_refresh("a" * 64)
    assert record is not None and record.session.expires_at == NOW + IDLE
    assert await sessions.purge(idle_over) == 1  # its refresh token; the row stays
    assert await sessions.get(session.id) is not None
    assert await sessions.purge(NOW + IDLE + IDLE / 4) == 1
    assert await sessions.get(session.id) is None


async def test_a_row_from_before_0008_has_its_idle_end_in_expires_at(db: Database) -> None:
    sessions = SqlSessions(db)
    session = await open_session(db)
    async with db.begin(events=False) as conn:
        await conn.execute(
            update(sessions_table)
            .where(sessions_table.c.id == session.id)
            .values(expires_at=NOW + IDLE, idle_until=None)
        )
    assert await sessions.get(session.id) == session
    assert await sessions.list_active(session.user_id, NOW + IDLE) == []
    soon = NOW + timedelta(hours=1)
    assert await sessions.rotate(rotation(session, "a", "b", soon))
    assert await row(db, session.id) == (soon + IDLE + IDLE / 4, soon + IDLE)


#: Updates of ``sessions`` in the current transaction, and how many of them were HOT.
HOT_IN_TRANSACTION = (
    "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'sessions'"
)


@pytest.mark.postgres
async def test_refreshes_are_hot_updates_on_postgres(postgres_url: str) -> None:
    """On PostgreSQL a refresh (the rotation's one statement, as the store sends it)
    that leaves the purge time alone updates the session's row in place (HOT: no
    index written); one that moves it is not HOT. Counted in one transaction, which
    the statistics report exactly."""
    import asyncpg

    db = Database(postgres_url)
    await db.upgrade()
    try:
        session = await open_session(db)
    finally:
        await db.dispose()
    form = sessions_store._ROTATE_AT_ONCE.postgres
    steps = [("a", "b", 15), ("b", "c", 30), ("c", "d", 45), ("d", "e", 2 * 24 * 60)]
    conn = await asyncpg.connect(postgres_url.replace("+asyncpg", "", 1))
    try:
        counts = []
        async with conn.transaction():
            for old, new, minutes in steps:
                turn = rotation(session, old, new, NOW + timedelta(minutes=minutes))
                params = sessions_store.rotate_at_once(turn)
                assert form.rows(await conn.fetch(form.sql, *form.args(params))) == [(1,)]
                counts.append(tuple(await conn.fetchrow(HOT_IN_TRANSACTION)))
    finally:
        await conn.close()
    # updates so far, HOT among them: the last one's idle end passed the purge time
    assert counts == [(1, 1), (2, 2), (3, 3), (4, 3)]
