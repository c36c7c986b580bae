"""The request path's PostgreSQL reads and writes, straight on asyncpg.

Through SQLAlchemy's async engine, one indexed read costs four round trips (the pool's
pre-ping, ``BEGIN``, the ``SELECT``, ``ROLLBACK``) and a refresh's read and write ten,
each with SQLAlchemy's execution machinery and a greenlet switch around it. Here a
read is one round trip (``asyncpg`` runs it as a prepared statement, cached per
connection), and a write is ``BEGIN``, its statements and ``COMMIT``. The statements
are :class:`~authgate.storage.sql.prepared.Prepared` ones, compiled once from tables.py
for asyncpg; transactions that must read what they write keep the engine.

Connections carry no session state of ours (no ``SET``, ``LISTEN`` or advisory lock),
so a connection goes back to the pool without asyncpg's reset query: an open
transaction is still rolled back. A connection the server closed (restart, failover,
``pg_terminate_backend``) is noticed by asyncpg and replaced on the next acquire.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from authgate.storage.sql.sqlite_writer import GuardMissed

if TYPE_CHECKING:
    import asyncpg

#: SQL with ``$n`` parameters, and the driver's values for them in order.
Statement = tuple[str, Sequence[Any]]

#: SQLSTATE classes that say the server cannot serve us now, not that a statement is
#: wrong: connection exception, invalid catalog (the database was dropped), invalid
#: authorization (the role or its password changed), insufficient resources (too many
#: connections, disk full), operator intervention (shutdown, restart, cancel) and
#: system error. asyncpg reports some of them as plain ``PostgresError``s.
UNAVAILABLE_SQLSTATES = frozenset({"08", "3D", "28", "53", "57", "58"})


@functools.cache
def _asyncpg() -> ModuleType:
    """asyncpg, imported when a PostgreSQL pool is first used: ~3 MB that a server on
    SQLite never carries."""
    import asyncpg

    return asyncpg


def failure(exc: BaseException) -> Literal["integrity", "unavailable"] | None:
    """What an error of :class:`PostgresPool` means: a broken constraint, a server
    that cannot be reached or refuses to serve now, or neither (a bug: left as is)."""
    if isinstance(exc, (OSError, TimeoutError)):
        return "unavailable"
    errors = _asyncpg().exceptions
    if isinstance(exc, errors.IntegrityConstraintViolationError):
        return "integrity"
    if isinstance(exc, errors.InterfaceError):  # the connection closed under us
        return "unavailable"
    if isinstance(exc, errors.PostgresError):
        return "unavailable" if (exc.sqlstate or "")[:2] in UNAVAILABLE_SQLSTATES else None
    return None


class PostgresPool:
    """A pool of asyncpg connections, opened on first use in the running event loop."""

    def __init__(self, connect: Mapping[str, Any], *, max_size: int) -> None:
        self._connect = dict(connect)
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def fetch(self, statement: Statement) -> list[Any]:
        """The rows of one read (one round trip, outside any transaction)."""
        pool = await self._get()
        sql, args = statement
        return list(await pool.fetch(sql, *args))

    async def transaction(self, statements: Sequence[Statement], *, guard: bool) -> None:
        """Run ``statements`` in one transaction.

        Raises:
            GuardMissed: ``guard`` is set and the first statement changed a number of
                rows other than one; the transaction was rolled back.
        """
        pool = await self._get()
        async with pool.acquire() as connection, connection.transaction():
            for position, (sql, args) in enumerate(statements):
                status = await connection.execute(sql, *args)
                if guard and position == 0 and _rowcount(status) != 1:
                    raise GuardMissed()

    async def _get(self) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        # min_size=0: opening the pool connects nothing; connections come on demand.
        pool: asyncpg.Pool = await _asyncpg().create_pool(
            **self._connect,
            min_size=0,
            max_size=self._max_size,
            max_inactive_connection_lifetime=300.0,
            reset=_keep_no_session_state,
        )
        if self._pool is not None and self._loop is loop:  # another task was first
            pool.terminate()
            return self._pool
        if self._pool is not None:  # opened in an event loop that has ended
            self._pool.terminate()
        self._pool, self._loop = pool, loop
        return pool

    async def close(self) -> None:
        """Close every connection (a later call opens a new pool)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            if self._loop is asyncio.get_running_loop():
                await pool.close()
            else:
                pool.terminate()


async def _keep_no_session_state(_connection: asyncpg.Connection[Any]) -> None:
    """Nothing to reset: the pool has already rolled back any open transaction."""


def _rowcount(status: str) -> int:
    """The rows a command changed, from its status (``UPDATE 1``, ``INSERT 0 1``)."""
    count = status.rsplit(" ", 1)[-1]
    return int(count) if count.isdigit() else 0
