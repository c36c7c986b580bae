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

The writer leaves checkpoints of the WAL to another thread: SQLite's automatic
checkpoint runs inside whichever commit crossed 1,000 pages of WAL, copying them into
the database file, and on a large database (pages scattered over gigabytes) that
commit, and every write queued behind it, waits tens of milliseconds. Here a second
thread with its own connection runs a ``PASSIVE`` checkpoint (which blocks neither the
writer nor readers), at the lowest CPU priority, when the writes pause for
:data:`CHECKPOINT_IDLE` seconds (at most once a :data:`CHECKPOINT_SPACING`), or after
:data:`CHECKPOINT_EVERY` transactions of a burst that does not pause. A checkpoint in a
pause copies the whole WAL before the next write, and that write starts the WAL over
from its beginning: one that runs between commits never catches up with them, and the
WAL only grows. SQLite's own checkpoint remains as a backstop, at
:data:`WAL_BACKSTOP_PAGES`, for a burst that never pauses.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from authgate.core.passwords import lower_thread_priority

#: SQL with ``:name`` parameters, and the driver's values for them.
Statement = tuple[str, Mapping[str, Any]]

#: How long a write waits for another connection's lock before it fails (seconds).
BUSY_TIMEOUT = 30.0
#: Seconds without a write after which the WAL is checkpointed.
CHECKPOINT_IDLE = 0.05
#: Seconds from one checkpoint that a pause starts to the next (a write every 100 ms
#: would otherwise be a checkpoint, and two syncs, each).
CHECKPOINT_SPACING = 1.0
#: Write transactions after which the WAL is checkpointed even without a pause.
CHECKPOINT_EVERY = 1_000
#: WAL pages at which the writer's commit checkpoints after all (4 KiB each: 160 MiB;
#: a refresh on a large file writes about 11).
WAL_BACKSTOP_PAGES = 40_000


def sqlite_pragmas(busy_timeout: float) -> tuple[str, ...]:
    """Every SQLite connection's settings (the engine's connections get them too)."""
    return (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={int(busy_timeout * 1000)}",
    )


_THREAD_NAME = "authgate-sqlite-write"


def _checkpoint_thread() -> ThreadPoolExecutor:
    """The checkpoints' thread, at the lowest CPU priority (nice 19): copying pages
    scattered over a large file takes tens of milliseconds, and on a busy core the
    event loop and the writer go first."""
    return ThreadPoolExecutor(
        1,
        thread_name_prefix="authgate-sqlite-checkpoint",
        initializer=lower_thread_priority,
        initargs=(19,),
    )


class GuardMissed(Exception):
    """The guarding first statement changed no row: nothing was written."""


class SqliteWriter:
    """One connection to ``path`` on one thread, for whole transactions."""

    def __init__(self, path: str, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self._path = path
        self._pragmas = sqlite_pragmas(busy_timeout)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_THREAD_NAME)
        self._connection: sqlite3.Connection | None = None
        self._checkpointer = _checkpoint_thread()
        self._checkpoint_connection: sqlite3.Connection | None = None
        self._checkpointing: Future[None] | None = None
        self._writes_since_checkpoint = 0
        self._last_write = 0.0
        self._last_checkpoint = float("-inf")
        self._quiet: asyncio.TimerHandle | None = None

    async def transaction(self, statements: Sequence[Statement], *, guard: bool) -> None:
        """Run ``statements`` in one transaction.

        Raises:
            GuardMissed: ``guard`` is set and the first statement changed a number of
                rows other than one; the transaction was rolled back.
            sqlite3.Error: the database refused or failed; rolled back.
        """
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._pool, self._run, statements, guard)
        finally:
            self._written(loop)

    def _written(self, loop: asyncio.AbstractEventLoop) -> None:
        """Count a write; checkpoint after a burst, or watch for the next pause."""
        self._writes_since_checkpoint += 1
        self._last_write = loop.time()
        if self._writes_since_checkpoint >= CHECKPOINT_EVERY and self._start_checkpoint(loop):
            return
        if self._quiet is None or self._quiet.when() < self._last_write - 1.0:
            # (a timer long past its time belongs to an event loop that stopped)
            self._quiet = loop.call_at(self._last_write + CHECKPOINT_IDLE, self._on_quiet, loop)

    def _on_quiet(self, loop: asyncio.AbstractEventLoop) -> None:
        """Checkpoint if no write came for :data:`CHECKPOINT_IDLE` seconds and the last
        checkpoint is :data:`CHECKPOINT_SPACING` old, or look again when both hold."""
        self._quiet = None
        if self._writes_since_checkpoint == 0:
            return
        due = max(self._last_write + CHECKPOINT_IDLE, self._last_checkpoint + CHECKPOINT_SPACING)
        if loop.time() < due:
            self._quiet = loop.call_at(due, self._on_quiet, loop)
        elif not self._start_checkpoint(loop):  # one still running: look again after it
            self._quiet = loop.call_later(CHECKPOINT_IDLE, self._on_quiet, loop)

    def _start_checkpoint(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Start a checkpoint on the other thread unless one is running."""
        if self._checkpointing is not None and not self._checkpointing.done():
            return False
        self._writes_since_checkpoint, self._last_checkpoint = 0, loop.time()
        self._checkpointing = self._checkpointer.submit(self._checkpoint)
        return True

    def _checkpoint(self) -> None:
        try:
            if self._checkpoint_connection is None:
                self._checkpoint_connection = self._open()
            self._checkpoint_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # busy, or the file is gone: the next one tries again
            self._close_checkpointer()

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
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: the module starts no transaction of its own; the
        # explicit BEGIN IMMEDIATE takes the write lock up front (no deadlock
        # between two deferred transactions that both want to write).
        connection = sqlite3.connect(self._path, isolation_level=None)
        try:
            for pragma in (*self._pragmas, f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}"):
                connection.execute(pragma)
        except sqlite3.Error:
            connection.close()
            raise
        return connection

    def _reset(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _close_checkpointer(self) -> None:
        if self._checkpoint_connection is not None:
            self._checkpoint_connection.close()
            self._checkpoint_connection = None

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
        if self._quiet is not None:
            self._quiet.cancel()
            self._quiet = None
        checkpointer = self._checkpointer
        self._checkpointer = _checkpoint_thread()
        checkpointer.submit(self._checkpoint)  # leave the WAL folded into the file
        checkpointer.submit(self._close_checkpointer)
        checkpointer.shutdown(wait=True)
        self._checkpointing = None
