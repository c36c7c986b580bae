"""Identities at other providers, linked to accounts (the ``IdentityStore`` port)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select

from authgate.core.federation import ExternalIdentity, LinkedIdentity
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import oidc_identities

_OWNER = Prepared(
    select(oidc_identities.c.user_id).where(
        oidc_identities.c.provider == bindparam("prov"),
        oidc_identities.c.subject == bindparam("sub"),
    )
)
_LINK = Prepared(insert(oidc_identities))
_OF_USER = Prepared(
    select(
        oidc_identities.c.provider,
        oidc_identities.c.subject,
        oidc_identities.c.email,
        oidc_identities.c.created_at,
    )
    .where(oidc_identities.c.user_id == bindparam("uid"))
    .order_by(oidc_identities.c.created_at)
)
_UNLINK = Prepared(
    delete(oidc_identities).where(
        oidc_identities.c.user_id == bindparam("uid"),
        oidc_identities.c.provider == bindparam("prov"),
    )
)


class SqlIdentities:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def owner(self, provider: str, subject: str) -> str | None:
        rows = await self.db.read(_OWNER, {"prov": provider, "sub": subject})
        return str(rows[0][0]) if rows else None

    async def link(self, identity: ExternalIdentity, user_id: str, now: datetime) -> None:
        row = {
            "provider": identity.provider,
            "subject": identity.subject,
            "user_id": user_id,
            "email": identity.email,
            "created_at": now,
        }
        await self.db.write([(_LINK, row)])

    async def identities(self, user_id: str) -> Sequence[LinkedIdentity]:
        rows = await self.db.read(_OF_USER, {"uid": user_id})
        return [LinkedIdentity(provider=p, subject=s, email=e, created_at=c) for p, s, e, c in rows]

    async def unlink(self, user_id: str, provider: str) -> bool:
        return await self.db.write([(_UNLINK, {"uid": user_id, "prov": provider})], guard=True)
