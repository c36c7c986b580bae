"""Fill a database with many users, sessions, revocations and events, fast.

    .venv/bin/python benchmarks/seed.py URL [--users N] [--sessions M] [--events E]
                                            [--revocations R]

``URL`` is an SQLAlchemy URL as ``AUTHGATE_DATABASE_URL`` takes it
(``sqlite+aiosqlite:///path/authgate.db`` or ``postgresql+asyncpg://…``), of a new,
empty database (the rows' keys are fixed, so a second run would collide). The schema
is created first by the project's own migrations (``Database.upgrade()``); the rows go
into the tables of ``authgate.storage.sql.tables``, in bulk: ``executemany`` in
batches of 50,000 on SQLite (journal and fsync off while loading, WAL back at the end),
``COPY`` (asyncpg's ``copy_records_to_table``) on PostgreSQL. Secondary indexes are
dropped before the load and built once after it; PostgreSQL is then ``VACUUM
ANALYZE``d, as autovacuum would do.

What it writes (every value deterministic, so a benchmark can use it):

- user ``i`` (``0 ≤ i < N``): id ``00000000-0000-4000-8000-{i:012x}``, email
  ``user{i:07d}@example.com``; user 0 is ``KNOWN_EMAIL``, with the role ``admin``. One
  Argon2id hash of ``KNOWN_PASSWORD`` (the server's own parameters) is computed once
  and stored for *every* user: hashing a million passwords would take hours and the
  benchmark only ever logs in as user 0 (or as an unknown email).
- session ``j`` (``0 ≤ j < M``) of user ``j mod N``: id
  ``00000000-0000-4000-9000-{j:012x}``, opened an hour ago as a login in the ``web``
  profile leaves it (idle for 7 days; its row kept past that as the server keeps
  it), with one current refresh token ``growth-refresh-{j}`` (stored as its SHA-256,
  as the server does).
- ``R`` live revocations (until the access tokens they cover expire): 80 % by token id,
  10 % by session (sessions counted down from the last), 10 % per-user cutoffs (users
  counted down from the last); user 0 and the first sessions are never touched.
- ``E`` events, event ``k`` belonging to user ``k mod N``, spread over the last 30 days.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, insert
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex

from authgate.core.passwords import OWASP
from authgate.storage.sql import Database
from authgate.storage.sql.sessions import kept_until
from authgate.storage.sql.tables import events, refresh_tokens, revocations, sessions, users

KNOWN_EMAIL = "growth-admin@example.com"
KNOWN_PASSWORD = "growth benchmark password"
REFRESH_PREFIX = "growth-refresh-"
BATCH = 50_000
ACCESS_TTL = 900
#: The ``web`` profile's idle lifetime of a session, which the servers run with.
IDLE = timedelta(days=7)
Row = tuple[Any, ...]


def user_id(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012x}"


def session_id(j: int) -> str:
    return f"00000000-0000-4000-9000-{j:012x}"


def email(i: int) -> str:
    return KNOWN_EMAIL if i == 0 else f"user{i:07d}@example.com"


def refresh_token(j: int) -> str:
    return f"{REFRESH_PREFIX}{j}"


def token_hash(j: int) -> str:
    """What the database keeps of session ``j``'s seeded refresh token."""
    return hashlib.sha256(refresh_token(j).encode()).hexdigest()


def known_hash() -> str:
    """One Argon2id hash with the server's parameters (so no login rehashes it)."""
    from pwdlib.hashers.argon2 import Argon2Hasher

    hasher = Argon2Hasher(
        time_cost=OWASP.time_cost, memory_cost=OWASP.memory_cost, parallelism=OWASP.parallelism
    )
    return hasher.hash(KNOWN_PASSWORD)


class Plan:
    """The rows to write, generated lazily table by table."""

    def __init__(self, n_users: int, n_sessions: int, n_events: int, n_revocations: int) -> None:
        self.n_users, self.n_sessions = n_users, n_sessions
        self.n_events, self.n_revocations = n_events, n_revocations
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.password_hash = known_hash()
        #: How a datetime is written (SQLite: the dialect's text form; see for_sqlite).
        self.stamp: Callable[[datetime], Any] = lambda value: value

    def for_sqlite(self) -> Plan:
        """Datetimes as the SQLite dialect binds ``UTCDateTime`` (naive UTC text)."""
        dialect = sqlite_dialect.dialect()
        column_type = users.c.created_at.type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        bind = column_type.process_bind_param  # type: ignore[attr-defined]
        self.stamp = lambda value: process(bind(value, dialect)) if process else value
        return self

    def users(self) -> Iterator[Row]:
        created = self.stamp(self.now - timedelta(days=60))
        for i in range(self.n_users):
            address = email(i)
            roles = "admin" if i == 0 else ""
            yield (user_id(i), address, address, self.password_hash, created, None, None, roles)

    def sessions(self) -> Iterator[Row]:
        opened = self.now - timedelta(hours=1)
        created, idle = self.stamp(opened), self.stamp(opened + IDLE)
        kept = self.stamp(kept_until(opened + IDLE, opened))
        n = self.n_users
        for j in range(self.n_sessions):
            user = user_id(j % n)
            yield (session_id(j), user, created, created, kept, "seed", None, 0, "pwd", idle)

    def refresh_tokens(self) -> Iterator[Row]:
        created = self.stamp(self.now - timedelta(hours=1))
        expires = self.stamp(self.now - timedelta(hours=1) + IDLE)
        for j in range(self.n_sessions):
            yield (token_hash(j), session_id(j), created, expires, None, None)

    def revocations(self) -> Iterator[Row]:
        now = int(self.now.timestamp())
        expires = now + ACCESS_TTL
        for k in range(self.n_revocations):
            if k % 10 == 8:
                kind, subject, cutoff = "sid", session_id(self.n_sessions - 1 - k // 10), 0
            elif k % 10 == 9:
                kind, subject, cutoff = "user", user_id(self.n_users - 1 - k // 10), now
            else:
                kind, subject, cutoff = "jti", hashlib.md5(str(k).encode()).hexdigest(), 0  # noqa: S324
            yield (kind, subject, cutoff, expires, now - k % ACCESS_TTL)

    def events(self) -> Iterator[Row]:
        n, span = self.n_users, 30 * 86400
        step = span / max(self.n_events, 1)
        for k in range(self.n_events):
            at = self.stamp(self.now - timedelta(seconds=int(span - k * step)))
            yield (at, "login", user_id(k % n), None, "203.0.113.7", "seed", "{}")

    def tables(self) -> list[tuple[Table, Sequence[str], Callable[[], Iterator[Row]], int]]:
        """Each table, the columns the rows hold (ids the database assigns are left out),
        the rows, and how many."""
        return [
            (users, [c.name for c in users.c], self.users, self.n_users),
            (sessions, [c.name for c in sessions.c], self.sessions, self.n_sessions),
            (
                refresh_tokens,
                [c.name for c in refresh_tokens.c],
                self.refresh_tokens,
                self.n_sessions,
            ),
            (revocations, _without_id(revocations), self.revocations, self.n_revocations),
            (events, _without_id(events), self.events, self.n_events),
        ]


def _without_id(table: Table) -> list[str]:
    return [column.name for column in table.c if column.name != "id"]


def batches(rows: Iterable[Row], size: int = BATCH) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def seed_sqlite(path: str, plan: Plan) -> dict[str, float]:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "PRAGMA journal_mode=OFF",
        "PRAGMA synchronous=OFF",
        "PRAGMA cache_size=-1000000",
        "PRAGMA temp_store=MEMORY",
        "PRAGMA foreign_keys=OFF",
    ):
        connection.execute(pragma)
    rates: dict[str, float] = {}
    dialect = sqlite_dialect.dialect()
    for table, columns, rows, count in plan.tables():
        started = time.perf_counter()
        for index in table.indexes:
            connection.execute(f"DROP INDEX IF EXISTS {index.name}")
        sql = str(insert(table).compile(dialect=dialect, column_keys=list(columns)))
        connection.execute("BEGIN")
        for batch in batches(rows()):
            connection.executemany(sql, batch)
        connection.execute("COMMIT")
        for index in table.indexes:
            connection.execute(str(CreateIndex(index).compile(dialect=dialect)))
        rates[table.name] = _report(table.name, count, time.perf_counter() - started)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    return rates


async def seed_postgres(url: str, plan: Plan) -> dict[str, float]:
    import asyncpg
    from sqlalchemy.dialects import postgresql

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    rates: dict[str, float] = {}
    try:
        # Foreign keys are not checked row by row while loading (the rows refer to
        # each other by construction); needs a superuser, as a restore does.
        await connection.execute("SET session_replication_role = replica")
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        for table, columns, rows, count in plan.tables():
            started = time.perf_counter()
            for index in table.indexes:
                await connection.execute(f"DROP INDEX IF EXISTS {index.name}")
            for batch in batches(rows(), 200_000):
                await connection.copy_records_to_table(table.name, records=batch, columns=columns)
            for index in table.indexes:
                await connection.execute(str(CreateIndex(index).compile(dialect=dialect)))
            rates[table.name] = _report(table.name, count, time.perf_counter() - started)
        started = time.perf_counter()
        await connection.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE       {time.perf_counter() - started:8.1f} s")
    finally:
        await connection.close()
    return rates


def _report(name: str, count: int, seconds: float) -> float:
    rate = count / seconds if seconds > 0 else 0.0
    print(f"  {name:<16} {count:>10,} rows {seconds:8.1f} s {rate:>12,.0f} rows/s", flush=True)
    return rate


async def seed(url: str, plan: Plan) -> dict[str, float]:
    """Migrate, then bulk-load; returns rows/s per table."""
    database = Database(url)
    try:
        await database.upgrade()
    finally:
        await database.dispose()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return await asyncio.to_thread(seed_sqlite, parsed.database or "", plan.for_sqlite())
    return await seed_postgres(url, plan)


async def renew(url: str) -> int:
    """Make a reused database as when just seeded: its revocations live again for an
    access token's lifetime, recorded over the last one (they expire ``ACCESS_TTL``
    after seeding; the sessions and refresh tokens live a week), and the known user's
    sessions only the seeded ones (each earlier run's logins added some, and
    ``GET /auth/sessions`` would list more at every run). Returns the revocations."""
    now = int(time.time())
    database = Database(url)
    try:
        async with database.begin(events=False) as conn:
            result = await conn.execute(
                revocations.update().values(
                    expires_at=now + ACCESS_TTL, recorded_at=now - revocations.c.id % ACCESS_TTL
                )
            )
            await conn.execute(
                delete(sessions).where(
                    sessions.c.user_id == user_id(0), sessions.c.user_agent != "seed"
                )
            )
    finally:
        await database.dispose()
    return int(result.rowcount)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="sqlite+aiosqlite:///file.db or postgresql+asyncpg://…")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=None, help="default: 5 per user")
    parser.add_argument("--events", type=int, default=None, help="default: 10 per user")
    parser.add_argument("--revocations", type=int, default=0)
    args = parser.parse_args(argv)
    n_sessions = 5 * args.users if args.sessions is None else args.sessions
    n_events = 10 * args.users if args.events is None else args.events
    started = time.perf_counter()
    plan = Plan(args.users, n_sessions, n_events, args.revocations)
    total = args.users + 2 * n_sessions + n_events + args.revocations
    print(
        f"seeding {make_url(args.url).render_as_string()}: {args.users:,} users, "
        f"{n_sessions:,} sessions (+ as many refresh tokens), {n_events:,} events, "
        f"{args.revocations:,} revocations"
    )
    asyncio.run(seed(args.url, plan))
    seconds = time.perf_counter() - started
    print(f"  total            {total:>10,} rows {seconds:8.1f} s {total / seconds:>12,.0f} rows/s")


if __name__ == "__main__":
    main()
