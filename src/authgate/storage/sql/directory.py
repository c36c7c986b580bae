"""The admin's view of the users (API.md §3.3): search by email prefix, page by email.

The search is a range over ``email_key`` in byte order, which an index serves at any
number of users: SQLite's own index on ``email_key``, and on PostgreSQL the index of
migration 0005 on ``email_key COLLATE "C"`` (byte order whatever the database's
collation, where a ``LIKE 'prefix%'`` could use no index).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, bindparam, exists, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from authgate.core.admin_ports import DirectoryEntry, DirectoryQuery
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import passkeys, totp_factors, users
from authgate.storage.sql.users import USER_COLUMNS, user_from_row

#: Above every character an email key holds: ``prefix + _TOP`` bounds the keys that
#: start with ``prefix``, in byte order (UTF-8 keeps code point order).
_TOP = "\U0010ffff"


class byte_order(FunctionElement[str]):
    """A text column compared in byte order (PostgreSQL: ``COLLATE "C"``)."""

    name = "byte_order"
    type = String()
    inherit_cache = True


@compiles(byte_order)
def _plain(element: byte_order, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(byte_order, "postgresql")
def _collate_c(element: byte_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


_KEY = byte_order(users.c.email_key)
_HAS_MFA = or_(
    exists().where(totp_factors.c.user_id == users.c.id, totp_factors.c.confirmed_at.is_not(None)),
    exists().where(passkeys.c.user_id == users.c.id),
).label("mfa")


def _search(*, prefix: bool, after: bool) -> Prepared:
    query = select(*USER_COLUMNS, _HAS_MFA, users.c.email_key)
    if prefix:
        query = query.where(_KEY >= bindparam("low"), _KEY < bindparam("high"))
    if after:
        query = query.where(_KEY > bindparam("after"))
    return Prepared(query.order_by(_KEY).limit(bindparam("limit")))


_SEARCHES = {
    (prefix, after): _search(prefix=prefix, after=after)
    for prefix in (False, True)
    for after in (False, True)
}


class SqlDirectory:
    """Users by email prefix, in email order, a page at a time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def search(self, query: DirectoryQuery) -> Sequence[DirectoryEntry]:
        params: dict[str, Any] = {"limit": query.limit}
        if query.prefix:
            params.update(low=query.prefix, high=query.prefix + _TOP)
        if query.after is not None:
            params["after"] = query.after
        prepared = _SEARCHES[(bool(query.prefix), query.after is not None)]
        rows = await self.db.read(prepared, params)
        return [
            DirectoryEntry(user=user_from_row(row[:7]), mfa=bool(row[7]), key=row[8])
            for row in rows
        ]
