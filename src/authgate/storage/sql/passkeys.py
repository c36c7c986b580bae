"""Passkeys (WebAuthn credentials) and the ceremonies in flight, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from authgate.core.models import Passkey, WebauthnFlow
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import passkeys, webauthn_flows

_COLUMNS = (
    passkeys.c.id,
    passkeys.c.user_id,
    passkeys.c.credential_id,
    passkeys.c.public_key,
    passkeys.c.sign_count,
    passkeys.c.name,
    passkeys.c.created_at,
    passkeys.c.last_used_at,
)
_INSERT = Prepared(insert(passkeys))
_LIST = Prepared(
    select(*_COLUMNS).where(passkeys.c.user_id == bindparam("uid")).order_by(passkeys.c.created_at)
)
_COUNT = Prepared(
    select(func.count()).select_from(passkeys).where(passkeys.c.user_id == bindparam("uid"))
)
_BY_CREDENTIAL = Prepared(select(*_COLUMNS).where(passkeys.c.credential_id == bindparam("cid")))
_BY_ID = Prepared(
    select(*_COLUMNS).where(
        passkeys.c.id == bindparam("pid"), passkeys.c.user_id == bindparam("uid")
    )
)
_RENAME = Prepared(
    update(passkeys)
    .where(passkeys.c.id == bindparam("pid"), passkeys.c.user_id == bindparam("uid"))
    .values(name=bindparam("new_name"))
)
_DELETE = Prepared(
    delete(passkeys).where(
        passkeys.c.id == bindparam("pid"), passkeys.c.user_id == bindparam("uid")
    )
)
_DELETE_ALL = Prepared(delete(passkeys).where(passkeys.c.user_id == bindparam("uid")))
_USED = Prepared(
    update(passkeys)
    .where(passkeys.c.id == bindparam("pid"), passkeys.c.sign_count == bindparam("old"))
    .values(sign_count=bindparam("new"), last_used_at=bindparam("now"))
)
_INSERT_FLOW = Prepared(insert(webauthn_flows))
_GET_FLOW = Prepared(
    select(
        webauthn_flows.c.key_hash,
        webauthn_flows.c.kind,
        webauthn_flows.c.challenge,
        webauthn_flows.c.created_at,
        webauthn_flows.c.expires_at,
        webauthn_flows.c.user_id,
        webauthn_flows.c.mfa_token_hash,
    ).where(webauthn_flows.c.key_hash == bindparam("key"))
)
_TAKE_FLOW = Prepared(
    update(webauthn_flows)
    .where(
        webauthn_flows.c.key_hash == bindparam("key"),
        webauthn_flows.c.used_at.is_(None),
        webauthn_flows.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
)
_PURGE = Prepared(delete(webauthn_flows).where(webauthn_flows.c.expires_at < bindparam("now")))


def _passkey(row: Any) -> Passkey:
    passkey_id, user_id, credential_id, public_key, count, name, created_at, last_used_at = row
    return Passkey(
        id=passkey_id,
        user_id=user_id,
        credential_id=credential_id,
        public_key=bytes(public_key),
        sign_count=int(count),
        name=name,
        created_at=created_at,
        last_used_at=last_used_at,
    )


class SqlPasskeys:
    """The ``PasskeyStore`` port."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, passkey: Passkey) -> bool:
        row = {
            "id": passkey.id,
            "user_id": passkey.user_id,
            "credential_id": passkey.credential_id,
            "public_key": passkey.public_key,
            "sign_count": passkey.sign_count,
            "name": passkey.name,
            "created_at": passkey.created_at,
            "last_used_at": passkey.last_used_at,
        }
        try:
            await self.db.write([(_INSERT, row)])
        except IntegrityError:
            return False
        return True

    async def list(self, user_id: str) -> Sequence[Passkey]:
        return [_passkey(row) for row in await self.db.read(_LIST, {"uid": user_id})]

    async def count(self, user_id: str) -> int:
        rows = await self.db.read(_COUNT, {"uid": user_id})
        return int(rows[0][0])

    async def by_credential(self, credential_id: str) -> Passkey | None:
        rows = await self.db.read(_BY_CREDENTIAL, {"cid": credential_id})
        return _passkey(rows[0]) if rows else None

    async def rename(self, user_id: str, passkey_id: str, name: str) -> Passkey | None:
        ids = {"pid": passkey_id, "uid": user_id}
        if not await self.db.write([(_RENAME, {**ids, "new_name": name})], guard=True):
            return None
        rows = await self.db.read(_BY_ID, ids)
        return _passkey(rows[0]) if rows else None

    async def delete(self, user_id: str, passkey_id: str) -> bool:
        return await self.db.write([(_DELETE, {"pid": passkey_id, "uid": user_id})], guard=True)

    async def delete_all(self, user_id: str) -> None:
        await self.db.write([(_DELETE_ALL, {"uid": user_id})])

    async def used(self, passkey: Passkey, sign_count: int, now: datetime) -> bool:
        params = {"pid": passkey.id, "old": passkey.sign_count, "new": sign_count, "now": now}
        return await self.db.write([(_USED, params)], guard=True)

    async def open_flow(self, flow: WebauthnFlow) -> None:
        row = {
            "key_hash": flow.key_hash,
            "kind": flow.kind,
            "user_id": flow.user_id,
            "challenge": flow.challenge,
            "mfa_token_hash": flow.mfa_token_hash,
            "created_at": flow.created_at,
            "expires_at": flow.expires_at,
            "used_at": None,
        }
        await self.db.write([(_INSERT_FLOW, row)])

    async def take_flow(self, key_hash: str, now: datetime) -> WebauthnFlow | None:
        if not await self.db.write([(_TAKE_FLOW, {"key": key_hash, "now": now})], guard=True):
            return None
        rows = await self.db.read(_GET_FLOW, {"key": key_hash})
        if not rows:
            return None
        key, kind, challenge, created_at, expires_at, user_id, mfa_token_hash = rows[0]
        return WebauthnFlow(
            key_hash=key,
            kind=kind,
            challenge=bytes(challenge),
            created_at=created_at,
            expires_at=expires_at,
            user_id=user_id,
            mfa_token_hash=mfa_token_hash,
        )

    async def purge(self, now: datetime) -> None:
        await self.db.write([(_PURGE, {"now": now})])
