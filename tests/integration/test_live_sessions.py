"""A user's live sessions are found through ``ix_sessions_live`` (migration 0009),
however many ended sessions the user still has: a login's trim reads the live ones
alone, on SQLite and on PostgreSQL, and ends those beyond the cap in batches."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from authgate.storage.sql import Database, SqlSessions
from authgate.storage.sql import sessions as sessions_store
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import sessions as sessions_table
from tests.integration.conftest import add_user

NOW = datetime(2026, 12, 4, 9, 0, 0, tzinfo=UTC)
ENDED, LIVE, KEEP = 3000, 105, 100


def session_rows(user_id: str, count: int, *, ended: bool, first: int = 0) -> list[dict[str, Any]]:
    """``count`` sessions of a user, one second apart, the oldest ``first`` s after
    a day ago."""
    rows = []
    for n in range(first, first + count):
        created = NOW - timedelta(days=1) + timedelta(seconds=n)
        rows.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user_id}/{n}")),
                "user_id": user_id,
                "created_at": created,
                "last_used_at": created,
                "expires_at": NOW + timedelta(days=5),
                "idle_until": NOW + timedelta(days=4),
                "user_agent": "test",
                "revoked_at": created if ended else None,
                "auth_time": int(created.timestamp()),
                "amr": "pwd",
            }
        )
    return rows


async def insert_sessions(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.begin(events=False) as conn:
        await conn.execute(insert(sessions_table), rows)


async def plan(db: Database, query: Prepared, params: dict[str, Any]) -> str:
    """The query's plan on this backend, after fresh statistics."""
    url = make_url(db.url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(url.database))
        try:
            connection.execute("ANALYZE")
            form = query.sqlite
            rows = connection.execute(f"EXPLAIN QUERY PLAN {form.sql}", form.params(params))
            return "\n".join(str(row[3]) for row in rows)
        finally:
            connection.close()
    import asyncpg

    conn = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute("ANALYZE sessions")
        statement = query.postgres
        rows = await conn.fetch(f"EXPLAIN {statement.sql}", *statement.args(params))
        return "\n".join(str(row[0]) for row in rows)
    finally:
        await conn.close()


async def test_a_login_trim_reads_only_the_live_sessions(db: Database) -> None:
    heavy = await add_user(db, NOW)
    await insert_sessions(db, session_rows(heavy, ENDED, ended=True))
    await insert_sessions(db, session_rows(heavy, LIVE, ended=False, first=ENDED))
    for _ in range(20):  # others, with a few sessions each
        await insert_sessions(db, session_rows(await add_user(db, NOW), 3, ended=False))
    params = {"user_id": heavy, "now": NOW, "keep": KEEP}

    assert "ix_sessions_live" in await plan(db, sessions_store._BEYOND_NEWEST, params)

    ended = await SqlSessions(db).trim(heavy, KEEP, NOW)
    oldest_live = session_rows(heavy, LIVE - KEEP, ended=False, first=ENDED)
    assert sorted(ended) == sorted(row["id"] for row in oldest_live)
    live = await SqlSessions(db).list_active(heavy, NOW)
    assert len(live) == KEEP
    assert min(session.created_at for session in live) > max(r["created_at"] for r in oldest_live)


async def test_a_trim_ends_at_most_a_batch_and_the_next_one_the_rest(db: Database) -> None:
    user = await add_user(db, NOW)
    batch = sessions_store.TRIM_BATCH
    await insert_sessions(db, session_rows(user, batch + 5, ended=False))

    first = await SqlSessions(db).trim(user, 0, NOW)
    second = await SqlSessions(db).trim(user, 0, NOW)

    assert len(first) == batch
    assert len(second) == 5
    assert await SqlSessions(db).list_active(user, NOW) == []
    newest = session_rows(user, batch + 5, ended=False)[-batch:]
    assert sorted(first) == sorted(row["id"] for row in newest)
