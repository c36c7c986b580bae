"""The OpenID provider's store in SQL: clients, codes, client sessions, consents."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from authgate.core.oidc import Client, CodeGrant
from authgate.core.oidc_ports import Consent
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import (
    oauth_clients,
    oauth_codes,
    oauth_consents,
    oauth_sessions,
    sessions,
)

_CLIENT_COLUMNS = (
    oauth_clients.c.id,
    oauth_clients.c.name,
    oauth_clients.c.secret_hash,
    oauth_clients.c.redirect_uris,
    oauth_clients.c.first_party,
    oauth_clients.c.created_at,
)
_INSERT_CLIENT = Prepared(insert(oauth_clients))
_CLIENT = Prepared(select(*_CLIENT_COLUMNS).where(oauth_clients.c.id == bindparam("cid")))
_CLIENTS = Prepared(select(*_CLIENT_COLUMNS).order_by(oauth_clients.c.created_at))
_DELETE_CLIENT = Prepared(delete(oauth_clients).where(oauth_clients.c.id == bindparam("cid")))
_CLIENT_SESSIONS = Prepared(
    select(oauth_sessions.c.session_id).where(oauth_sessions.c.client_id == bindparam("cid"))
)

_INSERT_CODE = Prepared(insert(oauth_codes))
_CODE_FIELDS = tuple(oauth_codes.c)
_FIND_CODE = Prepared(select(*_CODE_FIELDS).where(oauth_codes.c.code_hash == bindparam("hash")))
_USE_CODE = Prepared(
    update(oauth_codes)
    .where(
        oauth_codes.c.code_hash == bindparam("hash"),
        oauth_codes.c.used_at.is_(None),
        oauth_codes.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"), session_id=bindparam("sid"))
)
#: Used and expired codes are kept one code lifetime more (a reuse still finds what
#: the code issued), then forgotten.
_PURGE_CODES = Prepared(delete(oauth_codes).where(oauth_codes.c.expires_at < bindparam("before")))

_BIND = Prepared(insert(oauth_sessions))
_SESSION_CLIENT = Prepared(
    select(oauth_sessions.c.client_id, oauth_sessions.c.scope).where(
        oauth_sessions.c.session_id == bindparam("sid")
    )
)

_CONSENT = Prepared(
    select(oauth_consents.c.scope).where(
        oauth_consents.c.user_id == bindparam("uid"), oauth_consents.c.client_id == bindparam("cid")
    )
)
_DROP_CONSENT = Prepared(
    delete(oauth_consents).where(
        oauth_consents.c.user_id == bindparam("uid"), oauth_consents.c.client_id == bindparam("cid")
    )
)
_INSERT_CONSENT = Prepared(insert(oauth_consents))
_CONSENTS = Prepared(
    select(*_CLIENT_COLUMNS, oauth_consents.c.scope, oauth_consents.c.created_at)
    .join(oauth_clients, oauth_clients.c.id == oauth_consents.c.client_id)
    .where(oauth_consents.c.user_id == bindparam("uid"))
    .order_by(oauth_consents.c.created_at)
)
_USER_CLIENT_SESSIONS = Prepared(
    select(oauth_sessions.c.session_id)
    .join(sessions, sessions.c.id == oauth_sessions.c.session_id)
    .where(
        oauth_sessions.c.client_id == bindparam("cid"),
        sessions.c.user_id == bindparam("uid"),
        sessions.c.revoked_at.is_(None),
    )
)


def _client(row: Any) -> Client:
    client_id, name, secret_hash, uris, first_party, created_at = row[:6]
    return Client(
        id=client_id,
        name=name,
        secret_hash=secret_hash,
        redirect_uris=tuple(json.loads(uris)),
        first_party=bool(first_party),
        created_at=created_at,
    )


def _code(row: Any) -> CodeGrant:
    values = dict(zip((c.name for c in _CODE_FIELDS), row, strict=True))
    values["amr"] = tuple(values["amr"].split())
    return CodeGrant(**values)


class SqlOidc:
    """The ``OidcStore`` port on one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_client(self, client: Client) -> None:
        row = {**asdict(client), "redirect_uris": json.dumps(list(client.redirect_uris))}
        await self.db.write([(_INSERT_CLIENT, row)])

    async def client(self, client_id: str) -> Client | None:
        rows = await self.db.read(_CLIENT, {"cid": client_id})
        return _client(rows[0]) if rows else None

    async def clients(self) -> Sequence[Client]:
        return [_client(row) for row in await self.db.read(_CLIENTS, {})]

    async def delete_client(self, client_id: str) -> list[str] | None:
        held = [row[0] for row in await self.db.read(_CLIENT_SESSIONS, {"cid": client_id})]
        if not await self.db.write([(_DELETE_CLIENT, {"cid": client_id})], guard=True):
            return None
        return held

    async def save_code(self, grant: CodeGrant) -> None:
        await self.db.write([(_INSERT_CODE, {**asdict(grant), "amr": " ".join(grant.amr)})])

    async def find_code(self, code_hash: str) -> CodeGrant | None:
        rows = await self.db.read(_FIND_CODE, {"hash": code_hash})
        return _code(rows[0]) if rows else None

    async def use_code(self, code_hash: str, session_id: str | None, now: datetime) -> bool:
        params = {"hash": code_hash, "now": now, "sid": session_id}
        return await self.db.write([(_USE_CODE, params)], guard=True)

    async def bind_session(self, session_id: str, client_id: str, scope: str) -> None:
        row = {"session_id": session_id, "client_id": client_id, "scope": scope}
        await self.db.write([(_BIND, row)])

    async def session_client(self, session_id: str) -> tuple[str, str] | None:
        rows = await self.db.read(_SESSION_CLIENT, {"sid": session_id})
        return (rows[0][0], rows[0][1]) if rows else None

    async def consent_scope(self, user_id: str, client_id: str) -> str | None:
        rows = await self.db.read(_CONSENT, {"uid": user_id, "cid": client_id})
        return str(rows[0][0]) if rows else None

    async def save_consent(self, user_id: str, client_id: str, scope: str, now: datetime) -> None:
        key = {"uid": user_id, "cid": client_id}
        row = {"user_id": user_id, "client_id": client_id, "scope": scope, "created_at": now}
        await self.db.write([(_DROP_CONSENT, key), (_INSERT_CONSENT, row)])

    async def consents(self, user_id: str) -> Sequence[Consent]:
        rows = await self.db.read(_CONSENTS, {"uid": user_id})
        return [Consent(client=_client(row), scope=row[6], created_at=row[7]) for row in rows]

    async def revoke_consent(self, user_id: str, client_id: str) -> list[str] | None:
        key = {"uid": user_id, "cid": client_id}
        held = [row[0] for row in await self.db.read(_USER_CLIENT_SESSIONS, key)]
        if not await self.db.write([(_DROP_CONSENT, key)], guard=True):
            return None
        return held

    async def purge(self, now: datetime) -> None:
        await self.db.write([(_PURGE_CODES, {"before": now})])
