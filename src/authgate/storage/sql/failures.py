"""How a database's failures reach the service: an unreachable or refusing server is
``ServiceUnavailable`` (503), logged once per outage; a broken constraint stays an
``IntegrityError`` for the store to interpret."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from authgate.core.errors import ServiceUnavailable
from authgate.storage.outage import Outage
from authgate.storage.sql.postgres_pool import UNAVAILABLE_SQLSTATES, failure


@contextlib.contextmanager
def unavailable_on_failure(outage: Outage | None = None) -> Iterator[None]:
    """Turn a broken or unreachable database into ``ServiceUnavailable`` (503);
    report failures and successes to ``outage`` (which logs once per outage)."""
    try:
        yield
    except (DBAPIError, OSError, TimeoutError, PoolTimeout) as exc:
        if isinstance(exc, DBAPIError) and not _is_connectivity(exc):
            raise
        if outage is not None:
            outage.failed(first_line(exc))
        raise ServiceUnavailable(f"database: {type(exc).__name__}") from exc
    if outage is not None:
        outage.recovered()


def first_line(exc: BaseException) -> str:
    """The error's type and the first line of its message (for one log line)."""
    lines = str(getattr(exc, "orig", None) or exc).splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _is_connectivity(exc: DBAPIError) -> bool:
    name = type(exc).__name__
    if exc.connection_invalidated or name in {"OperationalError", "InterfaceError"}:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in UNAVAILABLE_SQLSTATES


@contextlib.contextmanager
def postgres_failures(outage: Outage, sql: str) -> Iterator[None]:
    """asyncpg's errors (:class:`~authgate.storage.sql.postgres_pool.PostgresPool`) as
    the engine's: a broken constraint is an ``IntegrityError``, an unreachable or
    refusing server ``ServiceUnavailable`` (reported to ``outage``, as is the
    recovery)."""
    try:
        yield
    except Exception as exc:
        meaning = failure(exc)
        if meaning == "integrity":
            raise IntegrityError(sql, None, exc) from exc
        if meaning == "unavailable":
            outage.failed(first_line(exc))
            raise ServiceUnavailable(f"database: {type(exc).__name__}") from exc
        raise
    outage.recovered()
