"""``authgate db upgrade`` on SQLite and PostgreSQL: from empty, from every older
revision, twice, concurrently, after a failed attempt; the result matches the models.

The older-revision test walks the migration scripts, so each new revision is tested
as it arrives.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from authgate.storage.sql.database import MIGRATIONS, Database
from authgate.storage.sql.tables import POSTGRES_ONLY_INDEXES, metadata
from tests.conftest import POSTGRES_URL, SECRET, run_sql, service_missing
from tests.integration.services import AUTHGATE

pytestmark = pytest.mark.slow


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


HEAD = _scripts().get_current_head()
#: Every revision, oldest first.
REVISIONS = [script.revision for script in reversed(list(_scripts().walk_revisions()))]
#: Rows to write at a revision, in that revision's schema, that must survive upgrading.
ROWS_AT = {
    "0001": [
        "INSERT INTO users (id, email, email_key, password_hash, created_at) VALUES "
        "('00000000-0000-4000-8000-000000000001', 'Old@Example.com', 'old@example.com', "
        "'$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', "
        "'2026-01-01 00:00:00')",
    ],
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'authgate.db'}"
        return
    name = f"authgate_migrate_{uuid.uuid4().hex[:10]}"
    try:
        run_sql(POSTGRES_URL, f'CREATE DATABASE "{name}"')
    except Exception as exc:
        service_missing("PostgreSQL", exc)
    yield f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    run_sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def upgrade(database_url: str) -> subprocess.CompletedProcess[str]:
    """``authgate db upgrade``, as an operator runs it."""
    result = subprocess.run(
        [AUTHGATE, "db", "upgrade"],
        env={"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET": SECRET, "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def assert_upgraded(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"database at revision {HEAD}"


async def on(database_url: str, sql: str) -> list[Any]:
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            result = await conn.execute(text(sql))
            return list(result) if result.returns_rows else []
    finally:
        await db.dispose()


async def schema_drift(database_url: str) -> list[Any]:
    """What autogenerate would still add, drop or change: nothing, if the migrations
    build exactly the models' schema."""
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"include_object": _mirrored}),
                    metadata,
                )
            )
    finally:
        await db.dispose()


def _mirrored(_item: Any, name: str | None, kind: str, *_: Any) -> bool:
    """Leave out of the comparison the PostgreSQL-only expression indexes."""
    return not (kind == "index" and name in POSTGRES_ONLY_INDEXES)


async def migrate_to(database_url: str, revision: str) -> None:
    def run(sync: Any) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = sync
        command.upgrade(config, revision)

    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await db.dispose()


async def test_upgrade_builds_the_schema_on_an_empty_database(empty_database: str) -> None:
    """From nothing (even the SQLite file's directory) to head, exactly the models."""
    assert_upgraded(upgrade(empty_database))
    assert await schema_drift(empty_database) == []


async def test_upgrade_twice_changes_nothing(empty_database: str) -> None:
    """A second upgrade is a no-op and keeps the data."""
    assert_upgraded(upgrade(empty_database))
    for sql in ROWS_AT["0001"]:
        await on(empty_database, sql)
    assert_upgraded(upgrade(empty_database))
    assert await emails(empty_database) == ["Old@Example.com"]


@pytest.mark.parametrize("revision", REVISIONS)
async def test_upgrade_from_each_older_revision(empty_database: str, revision: str) -> None:
    """A database left at any earlier revision, with data, is brought to head intact."""
    await migrate_to(empty_database, revision)
    for sql in ROWS_AT.get(revision, []):
        await on(empty_database, sql)
    assert_upgraded(upgrade(empty_database))
    assert await schema_drift(empty_database) == []
    if revision in ROWS_AT:
        assert await emails(empty_database) == ["Old@Example.com"]


async def test_session_tables_leave_room_for_hot_updates(empty_database: str) -> None:
    """PostgreSQL: ``sessions`` and ``refresh_tokens`` at fillfactor 85 (0007), from an
    upgrade as from the models; SQLite has no such setting."""
    assert_upgraded(upgrade(empty_database))
    if empty_database.startswith("sqlite"):
        return
    query = (
        "SELECT relname, reloptions FROM pg_class "
        "WHERE relname IN ('sessions', 'refresh_tokens', 'users') ORDER BY relname"
    )
    assert await on(empty_database, query) == [
        ("refresh_tokens", ["fillfactor=85"]),
        ("sessions", ["fillfactor=85"]),
        ("users", None),
    ]


async def test_a_failed_upgrade_changes_nothing_and_can_be_retried(empty_database: str) -> None:
    """An upgrade that fails half-way (here: a table in its way) leaves no half schema
    behind, says why on one line, and succeeds once the obstacle is gone."""
    Path(empty_database.split(":///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
    await on(empty_database, "CREATE TABLE plans (x INTEGER)")  # 0001 creates it last
    failed = upgrade(empty_database)
    assert failed.returncode != 0
    assert failed.stderr.startswith("error: AUTHGATE_DATABASE_URL: cannot upgrade the schema")
    assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert await table_names(empty_database) == {"plans"}
    await on(empty_database, "DROP TABLE plans")
    assert_upgraded(upgrade(empty_database))
    assert await schema_drift(empty_database) == []


async def test_a_schema_newer_than_this_version_is_refused(empty_database: str) -> None:
    """A database migrated by a later authgate: a clear line, nothing touched."""
    assert_upgraded(upgrade(empty_database))
    await on(empty_database, "UPDATE alembic_version SET version_num = '9999_future'")
    result = upgrade(empty_database)
    assert result.returncode != 0
    assert "9999_future" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


async def test_concurrent_upgrades_both_succeed(empty_database: str) -> None:
    """Instances starting together on an empty database: one migrates, the other
    waits and finds the schema current (advisory lock; SQLite's write lock)."""
    Path(empty_database.split(":///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
    results = await asyncio.gather(*(asyncio.to_thread(upgrade, empty_database) for _ in range(3)))
    for result in results:
        assert_upgraded(result)
    assert await schema_drift(empty_database) == []


async def table_names(database_url: str) -> set[str]:
    if database_url.startswith("sqlite"):
        rows = await on(database_url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = await on(
            database_url,
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
        )
    return {row[0] for row in rows}


async def emails(database_url: str) -> list[str]:
    return [row[0] for row in await on(database_url, "SELECT email FROM users")]
