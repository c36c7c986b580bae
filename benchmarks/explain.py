"""The query plan of each hot query, on a database seeded by ``seed.py``.

    .venv/bin/python benchmarks/explain.py URL [--analyze]

Runs the project's own prepared statements (the ones the request path and the
background tasks use), with parameters that hit seeded rows, under ``EXPLAIN QUERY
PLAN`` on SQLite and ``EXPLAIN`` (``--analyze``: ``EXPLAIN (ANALYZE, BUFFERS)``, which
executes it; writes are rolled back) on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import seed
from sqlalchemy import Executable
from sqlalchemy.engine import make_url

from authgate.storage.sql import directory, events, revocations, sessions, users
from authgate.storage.sql.prepared import Prepared


def hot_queries() -> list[tuple[str, Executable, dict[str, Any]]]:
    """Name, statement and parameters of each query worth a plan."""
    now = datetime.now(UTC)
    user, session = seed.user_id(0), seed.session_id(0)
    token = hashlib.sha256(seed.refresh_token(7).encode()).hexdigest()
    page = events._page_query(before=False, user=True, type_=False, since=False)
    search = directory._SEARCHES[(True, False)]
    prepared: list[tuple[str, Prepared, dict[str, Any]]] = [
        ("login: user by email", users._BY_EMAIL, {"key": seed.KNOWN_EMAIL}),
        ("admin check, /auth/me: user by id", users._BY_ID, {"id": user}),
        (
            "login: live sessions beyond the cap",
            sessions._BEYOND_NEWEST,
            {"user_id": user, "now": now, "keep": 10},
        ),
        ("refresh: token, session, user", sessions._FIND_REFRESH, {"token_hash": token}),
        (
            "refresh: rotate the token",
            sessions._ROTATE_REFRESH,
            {"old_hash": token, "now": now, "box": b""},
        ),
        (
            "refresh: extend the session",
            sessions._EXTEND_SESSION,
            {"session_id": session, "now": now, "expires_at": now, "kept_until": now},
        ),
        ("GET /auth/sessions", sessions._LIST_ACTIVE, {"user_id": user, "now": now}),
        ("GET /auth/events", page, {"uid": user, "limit": 51}),
        (
            "GET /admin/users?q=user01234",
            search,
            {"low": "user01234", "high": "user01234\U0010ffff", "limit": 51},
        ),
        ("prune events", events._PRUNE, {"before": now - timedelta(days=90), "batch": 500}),
    ]
    queries = [(name, query.statement, params) for name, query, params in prepared]
    active = revocations.active_query(recorded_since=True)
    stamp = int(now.timestamp())
    queries.append(("revocations: poll", active, {"now": stamp, "since": stamp - 30}))
    queries.append(
        (
            "revocations: start-up load",
            revocations.active_query(),
            {"now": stamp, "after": 0, "page": 5000},
        )
    )
    return queries


def explain_sqlite(path: str) -> None:
    connection = sqlite3.connect(path)
    for name, statement, params in hot_queries():
        form = Prepared(statement).sqlite
        plan = connection.execute(f"EXPLAIN QUERY PLAN {form.sql}", form.params(params)).fetchall()
        print(f"-- {name}\n" + "\n".join(f"   {row[3]}" for row in plan))
    connection.close()


async def explain_postgres(url: str, analyze: bool) -> None:
    import asyncpg

    connection = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        for name, statement, params in hot_queries():
            form = Prepared(statement).postgres  # as the server sends it
            how = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)" if analyze else "EXPLAIN (COSTS OFF)"
            transaction = connection.transaction()
            await transaction.start()
            try:
                rows = await connection.fetch(f"{how} {form.sql}", *form.args(params))
            finally:
                await transaction.rollback()
            print(f"-- {name}\n" + "\n".join(f"   {row[0]}" for row in rows))
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--analyze", action="store_true")
    args = parser.parse_args()
    parsed = make_url(args.url)
    if parsed.get_backend_name() == "sqlite":
        explain_sqlite(parsed.database or "")
    else:
        asyncio.run(explain_postgres(args.url, args.analyze))


if __name__ == "__main__":
    main()
