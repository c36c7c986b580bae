"""Statements built with SQLAlchemy Core from tables.py, compiled once for SQLite.

The request path's SQLite reads and writes run as plain ``sqlite3`` calls (see
:meth:`Database.read <authgate.storage.sql.database.Database.read>` and
:class:`~authgate.storage.sql.sqlite_writer.SqliteWriter`), which would pay for a
SQLAlchemy compile on every call. A :class:`Prepared` statement is compiled for the
SQLite driver the first time it is needed: SQL text with ``:name`` parameters, and
the bind and result processors of its columns' types, as SQLAlchemy itself would
apply them (``UTCDateTime`` values are stored as the dialect stores them, read back
as aware UTC datetimes). Elsewhere the statement itself runs on the async engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

#: The pysqlite dialect, with the ``:name`` parameters ``sqlite3`` takes from a dict.
_SQLITE = sqlite.dialect(paramstyle="named")

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
        results = self.results
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

    __slots__ = ("_sqlite", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._sqlite: SqliteForm | None = None

    @property
    def sqlite(self) -> SqliteForm:
        if self._sqlite is None:
            self._sqlite = _compile(self.statement)
        return self._sqlite


def _scalar_default(statement: Executable, name: str) -> Any:
    """The scalar ``default`` of the column ``name`` an INSERT or UPDATE fills, if any."""
    table = getattr(statement, "table", None)
    column = table.c.get(name) if table is not None else None
    default = getattr(column, "default", None)
    return default.arg if default is not None and default.is_scalar else None


def _compile(statement: Executable) -> SqliteForm:
    if not isinstance(statement, ClauseElement):
        raise TypeError(f"not a Core statement: {statement!r}")
    compiled = statement.compile(dialect=_SQLITE)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {statement!r}")
    constants: dict[str, Any] = {}
    binds: list[tuple[str, Processor]] = []
    for bind, name in compiled.bind_names.items():
        if bind.expanding:
            raise ValueError(f"{name}: expanding parameters need the engine")
        process = bind.type.dialect_impl(_SQLITE).bind_processor(_SQLITE)
        if not bind.required:
            value = bind.effective_value
            if value is None:  # a column's Python-side default, as the engine applies it
                value = _scalar_default(statement, name)
            constants[name] = value if process is None else process(value)
        elif process is not None and name not in {known for known, _ in binds}:
            binds.append((name, process))  # a name used twice is converted once
    results: list[tuple[int, Processor]] = []
    columns: Sequence[Any] = getattr(statement, "selected_columns", ())
    for index, column in enumerate(columns):
        process = column.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None)
        if process is not None:
            results.append((index, process))
    return SqliteForm(compiled.string, constants, tuple(binds), tuple(results))
