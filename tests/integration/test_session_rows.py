"""How the SQL store keeps a session's row (migration 0008): the idle end moves with
every refresh; the purge time, which an index serves, only in steps, so that most
refreshes change no indexed column (a HOT update on PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from authgate.core.models import NewSession, Rotation, Session
from authgate.storage.sql import Database, SqlSessions
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


async def hot_updates(db: Database, updates_at_least: int) -> tuple[int, int]:
    """``sessions``' updates and HOT updates so far, once the statistics show at least
    ``updates_at_least`` updates (a backend reports them up to ~10 s late)."""
    query = "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'sessions'"
    deadline = time.monotonic() + 30
    while True:
        async with db.begin(events=False) as conn:
            await conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            updates, hot = (await conn.exec_driver_sql(query)).one()
        if updates >= updates_at_least or time.monotonic() > deadline:
            return int(updates), int(hot)
        await asyncio.sleep(0.5)


@pytest.mark.postgres
async def test_refreshes_are_hot_updates_on_postgres(postgres_url: str) -> None:
    """On PostgreSQL a refresh that leaves the purge time alone updates the session's
    row in place (HOT: no index written); one that moves it is not HOT."""
    db = Database(postgres_url)
    await db.upgrade()
    try:
        sessions = SqlSessions(db)
        session = await open_session(db)
        updates, hot = await hot_updates(db, 0)
        for step, (old, new) in enumerate(["ab", "bc", "cd"], start=1):
            at = NOW + timedelta(minutes=15 * step)
            assert await sessions.rotate(rotation(session, old, new, at))
        assert await hot_updates(db, updates + 3) == (updates + 3, hot + 3)
        later = NOW + timedelta(days=2)
        assert await sessions.rotate(rotation(session, "d", "e", later))
        assert await hot_updates(db, updates + 4) == (updates + 4, hot + 3)
    finally:
        await db.dispose()
