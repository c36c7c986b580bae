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
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from authgate.storage.sql.sqlite_writer import GuardMissed

#: SQL with ``$n`` parameters, and the driver's values for them in order.
Statement = tuple[str, Sequence[Any]]


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
        pool = await asyncpg.create_pool(
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


async def _keep_no_session_state(_connection: asyncpg.Connection) -> None:
    """Nothing to reset: the pool has already rolled back any open transaction."""


def _rowcount(status: str) -> int:
    """The rows a command changed, from its status (``UPDATE 1``, ``INSERT 0 1``)."""
    count = status.rsplit(" ", 1)[-1]
    return int(count) if count.isdigit() else 0
