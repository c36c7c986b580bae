"""Short write transactions on an SQLite file, each in one thread hand-off.

Through SQLAlchemy's async engine, a transaction of two INSERTs on aiosqlite crosses
between the event loop and the driver's thread about ten times (check-out, each
statement, commit, reset on return), and each crossing costs the event loop a wake-up.
Here one thread owns one connection, and a whole transaction (``BEGIN IMMEDIATE``,
the statements, ``COMMIT``) is one job on that thread: the event loop pays one
hand-off. :meth:`Database.write <authgate.storage.sql.database.Database.write>` hands
it the SQL of :class:`~authgate.storage.sql.prepared.Prepared` statements, compiled once
from tables.py, with their parameters already converted; transactions that must read
what they write, or count what they delete, keep the engine.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: SQL with ``:name`` parameters, and the driver's values for them.
Statement = tuple[str, Mapping[str, Any]]

#: How long a write waits for another connection's lock before it fails (seconds).
BUSY_TIMEOUT = 30.0


def sqlite_pragmas(busy_timeout: float) -> tuple[str, ...]:
    """Every SQLite connection's settings (the engine's connections get them too)."""
    return (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={int(busy_timeout * 1000)}",
    )


_THREAD_NAME = "authgate-sqlite-write"


class GuardMissed(Exception):
    """The guarding first statement changed no row: nothing was written."""


class SqliteWriter:
    """One connection to ``path`` on one thread, for whole transactions."""

    def __init__(self, path: str, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self._path = path
        self._pragmas = sqlite_pragmas(busy_timeout)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_THREAD_NAME)
        self._connection: sqlite3.Connection | None = None

    async def transaction(self, statements: Sequence[Statement], *, guard: bool) -> None:
        """Run ``statements`` in one transaction.

        Raises:
            GuardMissed: ``guard`` is set and the first statement changed a number of
                rows other than one; the transaction was rolled back.
            sqlite3.Error: the database refused or failed; rolled back.
        """
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._run, statements, guard)

    def _run(self, statements: Sequence[Statement], guard: bool) -> None:
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            for position, (sql, params) in enumerate(statements):
                changed = connection.execute(sql, params).rowcount
                if guard and position == 0 and changed != 1:
                    raise GuardMissed()
        except BaseException:
            connection.rollback()
            raise
        connection.commit()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # isolation_level=None: the module starts no transaction of its own; the
            # explicit BEGIN IMMEDIATE takes the write lock up front (no deadlock
            # between two deferred transactions that both want to write).
            connection = sqlite3.connect(self._path, isolation_level=None)
            try:
                for pragma in self._pragmas:
                    connection.execute(pragma)
            except sqlite3.Error:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _reset(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def reset(self) -> None:
        """Drop the connection (after a failure); the next transaction reconnects."""
        await asyncio.get_running_loop().run_in_executor(self._pool, self._reset)

    def close(self) -> None:
        """Close the connection on its thread and stop the thread (a later
        transaction starts a new one)."""
        pool = self._pool
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_THREAD_NAME)
        pool.submit(self._reset)
        pool.shutdown(wait=True)
