"""The engine: SQLite (WAL) or PostgreSQL, error translation, health, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from authgate.core.errors import ConfigurationError, ServiceUnavailable
from authgate.core.events import Event, log_events, take_pending
from authgate.core.settings import redact_url
from authgate.storage.outage import Outage
from authgate.storage.sql.event_rows import INSERT_EVENT, event_row
from authgate.storage.sql.failures import first_line, postgres_failures, unavailable_on_failure
from authgate.storage.sql.postgres_pool import PostgresPool
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.sqlite_writer import (
    BUSY_TIMEOUT,
    GuardMissed,
    SqliteWriter,
    sqlite_pragmas,
)

#: A statement and its parameters, for :meth:`Database.write`.
Write = tuple[Prepared, Mapping[str, Any]]

log = logging.getLogger("authgate.storage")

#: The newest migration's revision (tests/unit/test_schema_head.py keeps it equal to
#: Alembic's head).
SCHEMA_HEAD = "0009"
MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"
#: PostgreSQL advisory lock key that serialises migrations of concurrent instances.
_MIGRATION_LOCK = 0x6175_7468_6761_7465 & 0x7FFF_FFFF_FFFF_FFFF
_CONNECT_TIMEOUT = 5.0


class Database:
    """One async engine for the process, with the pragmas and pool it needs."""

    def __init__(self, url: str, *, echo: bool = False, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.url = url
        self.outage = Outage("database", log)
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._read_connection: sqlite3.Connection | None = None
        self._sqlite_path: str | None = None
        self._writer: SqliteWriter | None = None
        self._postgres: PostgresPool | None = None
        options: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            in_memory = parsed.database in (None, "", ":memory:")
            if not in_memory:
                self._sqlite_path = str(Path(parsed.database or "").expanduser().resolve())
                self._writer = SqliteWriter(self._sqlite_path, busy_timeout=busy_timeout)
            options["connect_args"] = {"timeout": busy_timeout}
            if in_memory:
                options["poolclass"] = StaticPool
            else:
                _create_private_file(Path(parsed.database or "").expanduser())
        else:
            options.update(
                pool_pre_ping=True,
                pool_size=5,  # the request path's reads and writes use PostgresPool
                max_overflow=5,
                pool_timeout=_CONNECT_TIMEOUT,
                connect_args={"timeout": _CONNECT_TIMEOUT, "command_timeout": 30},
            )
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            pragmas = sqlite_pragmas(busy_timeout)
            event.listen(self.engine.sync_engine, "connect", partial(_run_pragmas, pragmas))
        else:
            _, connect = self.engine.dialect.create_connect_args(self.engine.url)
            # SQLAlchemy's own cache size (…?prepared_statement_cache_size=0 behind
            # PgBouncer) is asyncpg's statement_cache_size here.
            cache_size = connect.pop("prepared_statement_cache_size", None)
            if cache_size is not None:
                connect.setdefault("statement_cache_size", cache_size)
            connect.update(timeout=_CONNECT_TIMEOUT, command_timeout=30)
            self._postgres = PostgresPool(connect, max_size=10)

    @contextlib.asynccontextmanager
    async def begin(self, *, events: bool = True) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, committed on success; outages become 503.

        With ``events``, the security events noted in this task so far are inserted
        at the end, in the same transaction (:mod:`authgate.core.events`)."""
        kept: list[Event] = []
        with unavailable_on_failure(self.outage):
            async with self.engine.begin() as conn:
                yield conn
                if events:
                    kept = take_pending()
                    for event in kept:
                        await conn.execute(INSERT_EVENT.statement, event_row(event))
        log_events(kept)

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; outages become 503."""
        with unavailable_on_failure(self.outage):
            async with self.engine.connect() as conn:
                yield conn

    async def read(self, query: Prepared, params: Mapping[str, Any]) -> list[Any]:
        """Rows of one small, indexed read (the request path's queries).

        On PostgreSQL it is one round trip on asyncpg's own pool
        (:class:`PostgresPool`). On an SQLite file it runs on a process-wide read-only
        connection, synchronously: such a read from WAL takes microseconds, less than
        the thread hand-off aiosqlite (and SQLAlchemy's async pool around it) would
        cost, and WAL readers never wait for writers. An SQLite database in memory
        uses the async engine. Either way the rows hold what the columns' types give
        (aware UTC datetimes, booleans).
        """
        if self._postgres is not None:
            return await self._fetch_postgres(self._postgres, query, params)
        if self._sqlite_path is not None:
            form = query.sqlite
            try:
                return form.rows(self._reader().execute(form.sql, form.params(params)).fetchall())
            except sqlite3.OperationalError as exc:
                self._close_reader()
                raise ServiceUnavailable(f"database: {exc}") from exc
        async with self.connect() as conn:
            return list((await conn.execute(query.statement, params)).all())

    @property
    def writes_in_one_statement(self) -> bool:
        """Whether :meth:`write_statement` runs here: PostgreSQL runs data-modifying
        CTEs (``WITH … AS (UPDATE … RETURNING …)``), SQLite does not."""
        return self._postgres is not None

    async def write_statement(self, query: Prepared, params: Mapping[str, Any]) -> list[Any]:
        """The rows of one statement that writes, in a transaction of its own: one
        round trip (PostgreSQL only). The events noted so far are left pending, for
        the next :meth:`write` or flush."""
        if self._postgres is None:
            raise NotImplementedError("one-statement writes need PostgreSQL")
        return await self._fetch_postgres(self._postgres, query, params)

    async def _fetch_postgres(
        self, pool: PostgresPool, query: Prepared, params: Mapping[str, Any]
    ) -> list[Any]:
        statement = query.postgres
        with postgres_failures(self.outage, statement.sql):
            return statement.rows(await pool.fetch((statement.sql, statement.args(params))))

    async def write(
        self, statements: Sequence[Write], *, guard: bool = False, events: bool = True
    ) -> bool:
        """Run a few small statements in one transaction.

        With ``guard``, the first statement must change exactly one row, or nothing
        is written and the answer is False. With ``events``, the security events
        noted in this task so far join the transaction: they are kept if it commits,
        dropped with it if not (:mod:`authgate.core.events`). On an SQLite file the
        transaction is one job for :class:`SqliteWriter`, on PostgreSQL one
        connection of :class:`PostgresPool`; in memory it runs on the async engine.
        """
        kept = take_pending() if events else []
        if kept:
            statements = [*statements, *((INSERT_EVENT, event_row(event)) for event in kept)]
        try:
            if self._writer is not None:
                await self._write_sqlite(self._writer, statements, guard)
            elif self._postgres is not None:
                forms = [(query.postgres, params) for query, params in statements]
                with postgres_failures(self.outage, forms[0][0].sql):
                    await self._postgres.transaction(
                        [(form.sql, form.args(p)) for form, p in forms], guard=guard
                    )
            else:
                async with self.begin(events=False) as conn:
                    for position, (query, params) in enumerate(statements):
                        result = await conn.execute(query.statement, params)
                        if guard and position == 0 and result.rowcount != 1:
                            raise GuardMissed()
        except GuardMissed:
            return False
        log_events(kept)
        return True

    async def _write_sqlite(
        self, writer: SqliteWriter, statements: Sequence[Write], guard: bool
    ) -> None:
        forms = [(query.sqlite, params) for query, params in statements]
        try:
            await writer.transaction([(form.sql, form.params(p)) for form, p in forms], guard=guard)
        except sqlite3.IntegrityError as exc:  # as the engine would raise it
            raise IntegrityError(forms[0][0].sql, None, exc) from exc
        except sqlite3.OperationalError as exc:  # locked too long, disk full, I/O error
            await writer.reset()
            self.outage.failed(f"{type(exc).__name__}: {exc}")
            raise ServiceUnavailable(f"database: {exc}") from exc
        self.outage.recovered()

    def _reader(self) -> sqlite3.Connection:
        if self._read_connection is None:
            # Not mode=ro: a read-only handle cannot create the WAL index if it is
            # the first to open the file; query_only forbids writes just the same.
            connection = sqlite3.connect(
                self._sqlite_path or "", isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA busy_timeout=200")
            connection.execute("PRAGMA query_only=ON")
            self._read_connection = connection
        return self._read_connection

    def _close_reader(self) -> None:
        if self._read_connection is not None:
            self._read_connection.close()
            self._read_connection = None

    async def ping(self, timeout: float = _CONNECT_TIMEOUT) -> None:
        """Raises ServiceUnavailable unless the database answers ``SELECT 1``."""
        try:
            await self._select_one(timeout)
        except ServiceUnavailable as exc:
            self.outage.failed(first_line(exc.__cause__ or exc))
            raise
        self.outage.recovered()

    async def _select_one(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise ServiceUnavailable(f"database: {type(exc).__name__}") from exc

    async def check_reachable(self) -> None:
        """Raises ConfigurationError naming AUTHGATE_DATABASE_URL if unreachable."""
        try:
            await self._select_one(_CONNECT_TIMEOUT)
        except ServiceUnavailable as exc:
            cause = exc.__cause__
            detail = str(getattr(cause, "orig", None) or cause or exc).splitlines()[0]
            raise ConfigurationError(
                f"AUTHGATE_DATABASE_URL: cannot connect to the database "
                f"{redact_url(self.url)} ({detail})"
            ) from None

    async def is_current(self) -> bool:
        """True if the schema is at :data:`SCHEMA_HEAD` (read without loading Alembic)."""
        try:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        except SQLAlchemyError:
            return False  # no version table yet, or the database is unreachable
        return [row[0] for row in rows] == [SCHEMA_HEAD]

    async def upgrade(self) -> None:
        """Apply pending Alembic migrations, all or nothing, one migrator at a time.

        A schema already current is recognised without importing Alembic (and its
        templating stack): a server process then never loads it, ~12 MB less.

        Raises:
            ConfigurationError: the schema cannot be brought to this version's (one
                line naming AUTHGATE_DATABASE_URL); nothing was changed.
        """
        if await self.is_current():
            return
        from alembic.util import CommandError

        try:
            if self.is_sqlite:
                await self._upgrade_sqlite()
                return
            async with self.engine.begin() as conn:  # PostgreSQL: transactional DDL
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
                await conn.run_sync(_run_upgrade)
        except (SQLAlchemyError, CommandError, OSError) as exc:
            raise ConfigurationError(
                f"AUTHGATE_DATABASE_URL: cannot upgrade the schema of {redact_url(self.url)} "
                f"({first_line(exc)})"
            ) from None

    async def _upgrade_sqlite(self) -> None:
        # The sqlite3 module commits before every DDL statement of its own accord, so
        # a migration that failed half-way would stay half-applied (and block every
        # retry with "table already exists"). With the driver's transaction handling
        # off, one explicit BEGIN IMMEDIATE holds the whole upgrade, and also makes a
        # concurrent migrator wait, then find the schema current.
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                await conn.run_sync(_run_upgrade)
            except BaseException:
                await conn.exec_driver_sql("ROLLBACK")
                raise
            await conn.exec_driver_sql("COMMIT")

    async def revision(self) -> str | None:
        """The schema revision the database is at (None: empty)."""
        async with self.connect() as conn:
            return await conn.run_sync(_current_revision)

    async def dispose(self) -> None:
        self._close_reader()
        if self._postgres is not None:
            await self._postgres.close()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.close)
        await self.engine.dispose()


#: SQLite creates the ``-wal`` and ``-shm`` files with the database file's mode.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _create_private_file(path: Path) -> None:
    """Make the SQLite file exist with mode 0600 before SQLite opens it, and take
    group and other access away from it and its companions if an older version left
    them readable: they hold password hashes and emails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in _SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError, PermissionError):
            mode = companion.stat().st_mode
            if mode & 0o077:
                companion.chmod(mode & 0o700)
                log.warning("%s was readable by other users: made it 0600", companion)


def _run_pragmas(pragmas: tuple[str, ...], dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(pragma)
    cursor.close()


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _run_upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), "head")


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
