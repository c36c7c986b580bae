"""Statements built with SQLAlchemy Core from tables.py, compiled once per driver.

The request path's reads and writes run as plain driver calls: ``sqlite3`` on an
SQLite file, ``asyncpg`` on PostgreSQL (see :meth:`Database.read
<authgate.storage.sql.database.Database.read>`,
:class:`~authgate.storage.sql.sqlite_writer.SqliteWriter` and
:class:`~authgate.storage.sql.postgres_pool.PostgresPool`), which would otherwise pay
for SQLAlchemy's execution machinery on every call. A :class:`Prepared` statement is
compiled for a driver the first time it is needed: SQL text with ``:name``
(``sqlite3``) or ``$n`` (``asyncpg``) parameters, and the bind and result processors
of its columns' types, as SQLAlchemy itself would apply them (``UTCDateTime`` values
are stored as the dialect stores them, read back as aware UTC datetimes). An SQLite
database in memory runs the statement itself on the async engine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

#: The pysqlite dialect, with the ``:name`` parameters ``sqlite3`` takes from a dict.
_SQLITE = sqlite.dialect(paramstyle="named")


@functools.cache
def _postgres() -> Dialect:
    """The asyncpg dialect: ``$n`` parameters, with the casts SQLAlchemy renders for
    them. Imported by the first statement compiled for PostgreSQL: SQLAlchemy's
    PostgreSQL dialect is ~3 MB of memory that a server on SQLite does not carry."""
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    return PGDialect_asyncpg()  # type: ignore[no-untyped-call]


Processor = Callable[[Any], Any]


class SqliteForm:
    """One statement's SQL for ``sqlite3``, and how its values are converted."""

    __slots__ = ("binds", "constants", "results", "sql")

    def __init__(
        self,
        sql: str,
        constants: dict[str, Any],
        binds: tuple[tuple[str, Processor], ...],
        results: tuple[tuple[int, Processor], ...],
    ) -> None:
        self.sql = sql
        self.constants = constants
        self.binds = binds
        self.results = results

    def params(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """``params`` as the driver takes them (with the statement's own constants)."""
        if not self.binds and not self.constants:
            return params
        values = {**self.constants, **params}
        for name, process in self.binds:
            if name in values:
                values[name] = process(values[name])
        return values

    def rows(self, rows: list[Any]) -> list[Any]:
        """Driver rows with the columns' result types applied."""
        return _convert(rows, self.results)


class PostgresForm:
    """One statement's SQL for ``asyncpg``: ``$n`` parameters taken in order."""

    __slots__ = ("binds", "constants", "names", "results", "sql")

    def __init__(
        self,
        sql: str,
        names: tuple[str, ...],
        constants: dict[str, Any],
        binds: tuple[tuple[int, Processor], ...],
        results: tuple[tuple[int, Processor], ...],
    ) -> None:
        self.sql = sql
        self.names = names
        self.constants = constants
        self.binds = binds
        self.results = results

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional values of ``params`` (with the statement's own constants)."""
        values = {**self.constants, **params} if self.constants else params
        ordered = [values[name] for name in self.names]
        for index, process in self.binds:
            ordered[index] = process(ordered[index])
        return ordered

    def rows(self, rows: list[Any]) -> list[Any]:
        """Driver records with the columns' result types applied."""
        return _convert(rows, self.results)


def _convert(rows: list[Any], results: tuple[tuple[int, Processor], ...]) -> list[Any]:
    if not results:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for index, process in results:
            values[index] = process(values[index])
        converted.append(values)
    return converted


class Prepared:
    """A Core statement, and its SQLite form (compiled on first use, then reused).
    A column left out of an INSERT gets its scalar Python-side ``default`` in both
    forms (the engine applies it at execution; the SQLite form binds it)."""

    __slots__ = ("_postgres", "_sqlite", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._sqlite: SqliteForm | None = None
        self._postgres: PostgresForm | None = None

    @property
    def sqlite(self) -> SqliteForm:
        if self._sqlite is None:
            compiled, constants, binds, results = _compile(self.statement, _SQLITE)
            named = tuple((name, process) for name, process in binds.items())
            self._sqlite = SqliteForm(compiled.string, constants, named, results)
        return self._sqlite

    @property
    def postgres(self) -> PostgresForm:
        if self._postgres is None:
            compiled, constants, binds, results = _compile(self.statement, _postgres())
            names = tuple(compiled.positiontup or ())
            at = tuple((i, binds[name]) for i, name in enumerate(names) if name in binds)
            self._postgres = PostgresForm(compiled.string, names, constants, at, results)
        return self._postgres


def _scalar_default(statement: Executable, name: str) -> Any:
    """The scalar ``default`` of the column ``name`` an INSERT or UPDATE fills, if any."""
    table = getattr(statement, "table", None)
    column = table.c.get(name) if table is not None else None
    default = getattr(column, "default", None)
    return default.arg if default is not None and default.is_scalar else None


Compiled = tuple[
    SQLCompiler, dict[str, Any], dict[str, Processor], tuple[tuple[int, Processor], ...]
]


def _compile(statement: Executable, dialect: Dialect) -> Compiled:
    """The statement compiled for ``dialect``: its constants (already converted), the
    bind processors of its parameters by name, and its result processors by column."""
    if not isinstance(statement, ClauseElement):
        raise TypeError(f"not a Core statement: {statement!r}")
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {statement!r}")
    constants: dict[str, Any] = {}
    binds: dict[str, Processor] = {}  # a name used twice is converted once
    for bind, name in compiled.bind_names.items():
        if bind.expanding:
            raise ValueError(f"{name}: expanding parameters need the engine")
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if not bind.required:
            value = bind.effective_value
            if value is None:  # a column's Python-side default, as the engine applies it
                value = _scalar_default(statement, name)
            constants[name] = value if process is None else process(value)
        elif process is not None:
            binds[name] = process
    results: list[tuple[int, Processor]] = []
    columns: Sequence[Any] = getattr(statement, "selected_columns", ())
    for index, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            results.append((index, process))
    return compiled, constants, binds, tuple(results)
