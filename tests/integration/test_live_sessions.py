"""A user's live sessions are one range of ``ix_sessions_user_live`` (migration
0009): a login's trim and the sessions page read the live ones alone, however many
ended sessions the user still has, on SQLite and on PostgreSQL, even where
PostgreSQL's statistics expect the user's sessions to be live as often as
everyone's."""

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
ENDED, LIVE, KEEP, OTHERS = 3000, 105, 100, 300


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
        # A table this small is cheaper to read whole than through any index.
        await conn.execute("SET enable_seqscan = off")
        statement = query.postgres
        rows = await conn.fetch(f"EXPLAIN {statement.sql}", *statement.args(params))
        return "\n".join(str(row[0]) for row in rows)
    finally:
        await conn.close()


def reads_live_range(plan_text: str) -> bool:
    """Whether the plan reads the index's range of live sessions (``revoked_at`` in
    the index's condition, not in a filter over every session of the user)."""
    lines = plan_text.splitlines()
    return "ix_sessions_user_live" in plan_text and any(
        "revoked_at" in line and ("ix_sessions_user_live" in line or "Index Cond" in line)
        for line in lines
    )


async def test_a_login_trim_and_the_sessions_page_read_only_live_sessions(db: Database) -> None:
    heavy = await add_user(db, NOW)
    await insert_sessions(db, session_rows(heavy, ENDED, ended=True))
    await insert_sessions(db, session_rows(heavy, LIVE, ended=False, first=ENDED))
    # Others, with many live sessions between them: the statistics then expect the
    # heavy user's sessions to be live as often as everyone's, and a plan that reads
    # all of them looks as cheap as the index.
    for _ in range(OTHERS):
        await insert_sessions(db, session_rows(await add_user(db, NOW), 50, ended=False))
    params = {"user_id": heavy, "now": NOW, "keep": KEEP}

    assert reads_live_range(await plan(db, sessions_store._BEYOND_NEWEST, params))
    listing = {"user_id": heavy, "now": NOW}
    assert reads_live_range(await plan(db, sessions_store._LIST_ACTIVE, listing))

    ended = await SqlSessions(db).trim(heavy, KEEP, NOW)
    oldest_live = session_rows(heavy, LIVE - KEEP, ended=False, first=ENDED)
    assert sorted(ended) == sorted(row["id"] for row in oldest_live)
    live = await SqlSessions(db).list_active(heavy, NOW)
    assert len(live) == KEEP
    assert min(session.created_at for session in live) > max(r["created_at"] for r in oldest_live)
