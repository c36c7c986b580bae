"""``Database.write``, the request path's write transactions, on SQLite (one job on
the writer thread) and on PostgreSQL (asyncpg's own pool): all or nothing, guarded,
stored exactly as SQLAlchemy stores, and a locked SQLite file answers 503."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sqlite3
import struct
import sys
import threading
import uuid
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from authgate.core.errors import ServiceUnavailable
from authgate.core.models import NewSession, Revocation, Rotation, Session
from authgate.storage.sql import Database, SqlPlans, SqlSessions, sqlite_writer
from authgate.storage.sql import revocations as sql_revocations
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.revocations import SqlRevocationStore
from authgate.storage.sql.tables import sessions as sessions_table
from tests.integration.conftest import add_user

NOW = datetime(2026, 11, 27, 6, 0, 0, tzinfo=UTC)  # microsecond 0: the tricky case
COUNT = Prepared(select(func.count()).select_from(sessions_table))


def a_session(user_id: str, expires_in: timedelta = timedelta(days=1)) -> Session:
    return Session(
        id=str(uuid.uuid4()),
        user_id=user_id,
        created_at=NOW,
        last_used_at=NOW,
        expires_at=NOW + expires_in,
        user_agent="test",
    )


async def test_written_rows_read_back_and_compare_as_sqlalchemys(db: Database) -> None:
    """Datetimes written as plain SQL come back equal, and compare in queries built
    by SQLAlchemy (SQLite compares them as text: the format must be the same)."""
    sessions = SqlSessions(db)
    user_id = await add_user(db, NOW)
    live, expired = a_session(user_id), a_session(user_id, timedelta(seconds=-1))
    assert await sessions.create(NewSession(session=live, refresh_hash="a" * 64, credential="x"))
    assert await sessions.create(NewSession(session=expired, refresh_hash="b" * 64, credential="x"))
    assert await sessions.get(live.id) == live
    assert [s.id for s in await sessions.list_active(user_id, NOW)] == [live.id]
    assert [s.id for s in await sessions.list_active(user_id, live.expires_at)] == []
    assert await sessions.purge(NOW) == 2  # the expired session and its refresh token


async def test_a_missed_guard_writes_nothing(db: Database) -> None:
    sessions = SqlSessions(db)
    session = a_session(await add_user(db, NOW))
    assert await sessions.create(NewSession(session=session, refresh_hash="a" * 64, credential="x"))
    rotation = Rotation(
        session_id=session.id,
        old_hash="a" * 64,
        new_hash="c" * 64,
        successor_box=b"box",
        now=NOW,
        expires_at=NOW + timedelta(days=2),
    )
    assert await sessions.rotate(rotation) is True
    # Already rotated: the guard misses, and neither the successor nor the session's
    # new expiry of this second attempt is written.
    later = NOW + timedelta(hours=1)
    again = dataclasses.replace(rotation, new_hash="d" * 64, now=later, expires_at=later)
    assert await sessions.rotate(again) is False
    assert await sessions.find_refresh("d" * 64) is None
    record = await sessions.find_refresh("c" * 64)
    assert record is not None
    assert record.session.expires_at == NOW + timedelta(days=2)
    assert record.session.last_used_at == NOW
    old = await sessions.find_refresh("a" * 64)
    assert old is not None and (old.rotated_at, old.successor_box) == (NOW, b"box")
    assert await sessions.revoke(session.id, NOW) is True
    assert await sessions.revoke(session.id, NOW) is False


async def test_of_two_racing_rotations_one_wins(db: Database) -> None:
    sessions = SqlSessions(db)
    session = a_session(await add_user(db, NOW))
    assert await sessions.create(NewSession(session=session, refresh_hash="a" * 64, credential="x"))
    rotations = [
        Rotation(
            session_id=session.id,
            old_hash="a" * 64,
            new_hash=letter * 64,
            successor_box=letter.encode(),
            now=NOW,
            expires_at=NOW + timedelta(days=2),
        )
        for letter in "cdef"
    ]
    won = await asyncio.gather(*(sessions.rotate(rotation) for rotation in rotations))
    assert sorted(won) == [False, False, False, True]
    found = [await sessions.find_refresh(letter * 64) for letter in "cdef"]
    assert [record is not None for record in found] == won
    assert db.writes_in_one_statement is not db.is_sqlite


async def test_a_failing_statement_undoes_the_transaction(db: Database) -> None:
    user_id = await add_user(db, NOW)
    first, second = a_session(user_id), a_session(user_id)
    await SqlSessions(db).create(NewSession(session=first, refresh_hash="a" * 64, credential="x"))
    # The second session's refresh token collides with the first's: the session row
    # written just before it must not stay behind.
    with pytest.raises(IntegrityError):
        await SqlSessions(db).create(
            NewSession(session=second, refresh_hash="a" * 64, credential="x")
        )
    assert await SqlSessions(db).get(second.id) is None
    assert [row[0] for row in await db.read(COUNT, {})] == [1]


async def test_a_locked_sqlite_file_answers_503_then_recovers(tmp_path: Path) -> None:
    """Another process holding the write lock past the busy timeout: 503 (logged once
    as an outage), and the next write after the lock is released succeeds."""
    path = tmp_path / "locked.db"
    db = Database(f"sqlite+aiosqlite:///{path}", busy_timeout=0.2)
    await db.upgrade()
    user_id = await add_user(db, NOW)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ServiceUnavailable):
            await SqlSessions(db).create(
                NewSession(session=a_session(user_id), refresh_hash="a" * 64, credential="x")
            )
        assert db.outage.is_down
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await SqlSessions(db).create(
        NewSession(session=a_session(user_id), refresh_hash="b" * 64, credential="x")
    )
    assert not db.outage.is_down
    await db.dispose()


async def test_writes_run_on_one_thread_other_than_the_loops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's connection is opened once, off the event loop's thread; sqlite3
    refuses to use a connection on any other thread than its own (check_same_thread),
    so every write ran there. (The checkpointing thread opens one of its own.)"""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await db.upgrade()
    connect, threads = sqlite3.connect, []

    def record_thread(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        if threading.current_thread().name.startswith("authgate-sqlite-write"):
            threads.append((threading.get_ident(), kwargs.get("check_same_thread", True)))
        return connect(*args, **kwargs)

    monkeypatch.setattr(sqlite_writer.sqlite3, "connect", record_thread)
    user_id = await add_user(db, NOW)
    for n in range(3):
        assert await SqlSessions(db).create(
            NewSession(session=a_session(user_id), refresh_hash=str(n) * 64, credential="x")
        )
    assert len(threads) == 1
    thread, same_thread_only = threads[0]
    assert same_thread_only
    assert thread != threading.get_ident()
    await db.dispose()


async def test_the_revocations_load_in_pages_and_polls_read_the_recent(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start-up load reads the live entries a page at a time (every one, once);
    a poll reads those recorded since the time it is given."""
    monkeypatch.setattr(sql_revocations, "_LOAD_PAGE", 2)
    store = SqlRevocationStore(db)
    for n in range(7):
        entry = Revocation(kind="jti", subject=f"j{n}", expires_at=2000 if n != 3 else 900)
        await store.add(entry, recorded_at=100 + n)
    loaded = await store.active(1000)
    assert [r.subject for r in loaded] == ["j0", "j1", "j2", "j4", "j5", "j6"]
    assert sorted(r.subject for r in await store.active(1000, recorded_since=105)) == ["j5", "j6"]


@pytest.mark.postgres
async def test_postgres_reads_and_writes_bypass_the_engine(postgres_url: str) -> None:
    """On PostgreSQL the request path's statements run on asyncpg's own pool: one
    round trip per read, none of the engine's pre-ping, BEGIN and ROLLBACK."""
    db = Database(postgres_url)
    await db.upgrade()
    checkouts: list[object] = []
    event.listen(db.engine.sync_engine.pool, "checkout", lambda *args: checkouts.append(args))
    sessions = SqlSessions(db)
    session = a_session(await add_user(db, NOW))
    assert await sessions.create(NewSession(session=session, refresh_hash="a" * 64, credential="x"))
    assert await sessions.get(session.id) == session
    with pytest.raises(IntegrityError):  # the same primary key: as the engine raises it
        await sessions.create(NewSession(session=session, refresh_hash="b" * 64, credential="x"))
    assert checkouts == []
    await db.dispose()


@pytest.mark.postgres
async def test_postgres_without_a_statement_cache(postgres_url: str) -> None:
    """``?prepared_statement_cache_size=0`` (SQLAlchemy's setting, behind PgBouncer in
    transaction mode) reaches asyncpg's pool as its statement cache size."""
    db = Database(f"{postgres_url}?prepared_statement_cache_size=0")
    await db.upgrade()
    sessions = SqlSessions(db)
    session = a_session(await add_user(db, NOW))
    assert await sessions.create(NewSession(session=session, refresh_hash="a" * 64, credential="x"))
    assert await sessions.get(session.id) == session
    assert db._postgres is not None
    pool = await db._postgres._get()
    async with pool.acquire() as connection:
        assert connection._stmt_cache.get_max_size() == 0
    await db.dispose()


async def writer_on(path: Path) -> tuple[Database, str, sqlite_writer.SqliteWriter]:
    """A migrated SQLite file with one user: the database, the user's id, its writer."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    user_id = await add_user(db, NOW)
    assert db._writer is not None
    return db, user_id, db._writer


async def open_sessions(db: Database, user_id: str, count: int, tag: str) -> None:
    """``count`` sessions of the user, one write each."""
    for n in range(count):
        assert await SqlSessions(db).create(
            NewSession(session=a_session(user_id), refresh_hash=f"{tag}{n:063d}", credential="x")
        )


async def checkpointed(writer: sqlite_writer.SqliteWriter, after: object = None) -> None:
    """Wait for the pause to start a checkpoint (another than ``after``), and for it."""
    for _ in range(200):
        if writer._checkpointing not in (None, after):
            break
        await asyncio.sleep(0.025)
    checkpoint = writer._checkpointing
    assert checkpoint is not None and checkpoint is not after
    checkpoint.result(timeout=10)


def wal_frames(path: Path) -> int:
    """Frames in the WAL now, read from the wal-index header at the start of the
    ``-shm`` file (``mxFrame``, in the machine's byte order; sqlite.org/walformat):
    reading it copies nothing, as another checkpoint would."""
    return int(struct.unpack_from("=I", Path(f"{path}-shm").read_bytes(), 16)[0])


async def test_the_wal_is_checkpointed_off_the_writers_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's own commits do not checkpoint (SQLite's would, in the commit that
    crossed 1,000 pages): its connection waits until the backstop, and after a burst
    of ``CHECKPOINT_EVERY`` writes without a pause the other thread folds the WAL into
    the file, so the rows are in the file alone."""
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_EVERY", 50)
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_IDLE", 60.0)  # no pause counts
    path = tmp_path / "wal.db"
    db, user_id, writer = await writer_on(path)
    loop = asyncio.get_running_loop()
    backstop = await loop.run_in_executor(
        writer._pool, lambda: writer._connect().execute("PRAGMA wal_autocheckpoint").fetchone()
    )
    assert backstop == (sqlite_writer.WAL_BACKSTOP_PAGES,)
    assert writer._checkpointing is None
    earlier = writer._writes_since_checkpoint  # the user's
    await open_sessions(db, user_id, 49 - earlier, "a")
    assert writer._checkpointing is None  # 49 writes: not yet
    await open_sessions(db, user_id, 1, "b")
    checkpoint = writer._checkpointing
    assert checkpoint is not None
    checkpoint.result(timeout=10)
    (tmp_path / "copy").mkdir()
    copy = tmp_path / "copy" / "wal.db"
    copy.write_bytes(path.read_bytes())  # the file without its -wal
    with contextlib.closing(sqlite3.connect(copy)) as raw:
        (count,) = raw.execute("SELECT count(*) FROM sessions").fetchone()
    assert count == 50 - earlier
    await db.dispose()


async def test_a_pause_in_the_writes_checkpoints_and_the_next_write_starts_the_wal_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes that pause for ``CHECKPOINT_IDLE`` are checkpointed then, wholly (none
    comes while it runs), so the next write starts the WAL over from its beginning
    instead of growing it: a checkpoint between commits never catches up with them."""
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_IDLE", 0.3)  # no pause mid-burst
    path = tmp_path / "idle.db"
    db, user_id, writer = await writer_on(path)
    await open_sessions(db, user_id, 20, "a")
    burst = wal_frames(path)
    assert writer._checkpointing is None  # none mid-burst
    await checkpointed(writer)
    await open_sessions(db, user_id, 1, "b")
    after = wal_frames(path)
    assert 0 < after < burst / 4  # the one write's frames, from the WAL's start
    await db.dispose()


async def test_pauses_checkpoint_at_most_once_a_spacing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write after each pause does not make each pause a checkpoint (and two syncs):
    the next one waits until ``CHECKPOINT_SPACING`` after the last began."""
    # Wide enough that a slow machine's write and pause stay within it (the check is
    # that no second checkpoint starts inside the spacing, not how long a pause is).
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_SPACING", 2.0)
    db, user_id, writer = await writer_on(tmp_path / "spacing.db")
    await checkpointed(writer)
    first, first_at = writer._checkpointing, writer._last_checkpoint
    await open_sessions(db, user_id, 1, "a")
    await asyncio.sleep(sqlite_writer.CHECKPOINT_IDLE * 4)  # a pause, within the spacing
    assert writer._checkpointing is first
    await checkpointed(writer, after=first)
    assert writer._last_checkpoint - first_at >= 2.0
    await db.dispose()


async def test_a_burst_that_ends_while_a_checkpoint_runs_is_checkpointed_in_the_pause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes past ``CHECKPOINT_EVERY`` while a checkpoint still runs are not left in
    the WAL when they stop: the pause after them checkpoints once that one is done."""
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_EVERY", 5)
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_SPACING", 0.0)
    db, user_id, writer = await writer_on(tmp_path / "tail.db")
    await checkpointed(writer)
    running: Future[None] = Future()
    writer._checkpointing = running  # as if a long checkpoint were still copying
    await open_sessions(db, user_id, 6, "a")
    assert writer._checkpointing is running
    await asyncio.sleep(sqlite_writer.CHECKPOINT_IDLE * 3)
    assert writer._checkpointing is running  # looked, found it running: looks again
    running.set_result(None)
    await checkpointed(writer, after=running)
    assert writer._writes_since_checkpoint == 0
    await db.dispose()


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
async def test_the_checkpoints_run_at_the_lowest_cpu_priority(tmp_path: Path) -> None:
    """The checkpointing thread runs at nice 19; the writer's thread and the loop's keep
    the process's priority."""
    db, _, writer = await writer_on(tmp_path / "nice.db")  # writes, then a pause
    await checkpointed(writer)
    loop = asyncio.get_running_loop()

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    own = nice()
    assert await loop.run_in_executor(writer._checkpointer, nice) == 19
    assert await loop.run_in_executor(writer._pool, nice) == own
    assert own < 19
    await db.dispose()


async def test_the_writer_stores_datetimes_as_the_engine_does(tmp_path: Path) -> None:
    """The same moment, written by the writer thread (a session) and by SQLAlchemy on
    the engine (a plan), is the same text in the file."""
    path = tmp_path / "same.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    user_id = await add_user(db, NOW)
    assert await SqlSessions(db).create(
        NewSession(session=a_session(user_id), refresh_hash="a" * 64, credential="x")
    )
    await SqlPlans(db).add(user_id, "a plan", False, NOW)
    await db.dispose()
    with contextlib.closing(sqlite3.connect(path)) as raw:
        (by_engine,) = raw.execute("SELECT created_at FROM plans").fetchone()
        (by_writer,) = raw.execute("SELECT created_at FROM sessions").fetchone()
    assert by_writer == by_engine == "2026-11-27 06:00:00.000000"


def test_a_column_left_out_of_an_insert_gets_its_default_on_sqlite() -> None:
    """The SQLite form binds a column's scalar Python default, as the engine applies
    it (it bound NULL: registration answered email_taken once a NOT NULL column with a
    default was added to users)."""
    from sqlalchemy import bindparam, insert

    from authgate.storage.sql.prepared import Prepared
    from authgate.storage.sql.tables import users

    form = Prepared(insert(users).values(id=bindparam("id"))).sqlite
    assert form.params({"id": "x"})["roles"] == ""
