"""Second factors in SQL: authenticator apps (the secret sealed with AES-GCM),
recovery codes (SHA-256 only), and sign-ins waiting for their second factor."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from authgate.core.models import MfaChallenge, TotpFactor
from authgate.storage.sealed import Sealer, SealError
from authgate.storage.sql.database import Database
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import mfa_challenges, recovery_codes, totp_factors

log = logging.getLogger("authgate.storage")

_TOTP = "totp"

_GET_TOTP = Prepared(
    select(
        totp_factors.c.secret_box,
        totp_factors.c.created_at,
        totp_factors.c.confirmed_at,
        totp_factors.c.last_step,
    ).where(totp_factors.c.user_id == bindparam("uid"))
)
_DROP_PENDING = Prepared(
    delete(totp_factors).where(
        totp_factors.c.user_id == bindparam("uid"), totp_factors.c.confirmed_at.is_(None)
    )
)
_INSERT_TOTP = Prepared(
    insert(totp_factors).values(
        user_id=bindparam("user_id"),
        secret_box=bindparam("secret_box"),
        created_at=bindparam("created_at"),
        confirmed_at=None,
        last_step=0,
    )
)
_CONFIRM = Prepared(
    update(totp_factors)
    .where(totp_factors.c.user_id == bindparam("uid"), totp_factors.c.confirmed_at.is_(None))
    .values(confirmed_at=bindparam("now"), last_step=bindparam("step"))
)
_USE_STEP = Prepared(
    update(totp_factors)
    .where(
        totp_factors.c.user_id == bindparam("uid"),
        totp_factors.c.confirmed_at.is_not(None),
        totp_factors.c.last_step < bindparam("step"),
    )
    .values(last_step=bindparam("step"))
)
_DROP_CODES = Prepared(delete(recovery_codes).where(recovery_codes.c.user_id == bindparam("uid")))
_INSERT_CODE = Prepared(
    insert(recovery_codes).values(
        code_hash=bindparam("code_hash"), user_id=bindparam("user_id"), used_at=None
    )
)
_USE_CODE = Prepared(
    update(recovery_codes)
    .where(
        recovery_codes.c.code_hash == bindparam("hash"),
        recovery_codes.c.user_id == bindparam("uid"),
        recovery_codes.c.used_at.is_(None),
    )
    .values(used_at=bindparam("now"))
)
_DROP_TOTP = Prepared(delete(totp_factors).where(totp_factors.c.user_id == bindparam("uid")))

_INSERT_CHALLENGE = Prepared(insert(mfa_challenges))
_GET_CHALLENGE = Prepared(
    select(
        mfa_challenges.c.token_hash,
        mfa_challenges.c.user_id,
        mfa_challenges.c.credential,
        mfa_challenges.c.created_at,
        mfa_challenges.c.expires_at,
        mfa_challenges.c.failures,
        mfa_challenges.c.used_at,
    ).where(mfa_challenges.c.token_hash == bindparam("hash"))
)
_FAIL_CHALLENGE = Prepared(
    update(mfa_challenges)
    .where(mfa_challenges.c.token_hash == bindparam("hash"))
    .values(failures=mfa_challenges.c.failures + 1)
)
_CLOSE_CHALLENGE = Prepared(
    update(mfa_challenges)
    .where(mfa_challenges.c.token_hash == bindparam("hash"), mfa_challenges.c.used_at.is_(None))
    .values(used_at=bindparam("now"))
)
_PURGE_CHALLENGES = Prepared(
    delete(mfa_challenges).where(mfa_challenges.c.expires_at < bindparam("now"))
)


class SqlMfa:
    """The ``MfaStore`` port."""

    def __init__(self, db: Database, sealer: Sealer) -> None:
        self.db = db
        self.sealer = sealer

    async def totp(self, user_id: str) -> TotpFactor | None:
        rows = await self.db.read(_GET_TOTP, {"uid": user_id})
        if not rows:
            return None
        secret_box, created_at, confirmed_at, last_step = rows[0]
        try:
            secret = str(self.sealer.open(bytes(secret_box), _TOTP))
        except SealError:
            # Sealed under another secret (AUTHGATE_SECRET changed): the app stays
            # required, no code matches, recovery codes (hashed) still work.
            log.error("authenticator app of user %s cannot be opened with this secret", user_id)
            secret = ""
        return TotpFactor(
            user_id=user_id,
            secret=secret,
            created_at=created_at,
            confirmed_at=confirmed_at,
            last_step=int(last_step),
        )

    async def put_pending(self, factor: TotpFactor) -> bool:
        row = {
            "user_id": factor.user_id,
            "secret_box": self.sealer.seal(factor.secret, _TOTP),
            "created_at": factor.created_at,
        }
        try:
            await self.db.write([(_DROP_PENDING, {"uid": factor.user_id}), (_INSERT_TOTP, row)])
        except IntegrityError:  # a confirmed factor holds the row
            return False
        return True

    async def confirm(self, user_id: str, step: int, now: datetime, codes: Sequence[str]) -> bool:
        return await self.db.write(
            [
                (_CONFIRM, {"uid": user_id, "now": now, "step": step}),
                *self._codes(user_id, codes),
            ],
            guard=True,
        )

    async def use_step(self, user_id: str, step: int) -> bool:
        return await self.db.write([(_USE_STEP, {"uid": user_id, "step": step})], guard=True)

    async def replace_codes(self, user_id: str, codes: Sequence[str]) -> None:
        await self.db.write(self._codes(user_id, codes))

    async def use_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        params = {"hash": code_hash, "uid": user_id, "now": now}
        return await self.db.write([(_USE_CODE, params)], guard=True)

    async def remove(self, user_id: str) -> bool:
        return await self.db.write(
            [(_DROP_TOTP, {"uid": user_id}), (_DROP_CODES, {"uid": user_id})], guard=True
        )

    async def open_challenge(self, challenge: MfaChallenge) -> None:
        row = {
            "token_hash": challenge.token_hash,
            "user_id": challenge.user_id,
            "credential": challenge.credential,
            "created_at": challenge.created_at,
            "expires_at": challenge.expires_at,
            "failures": 0,
            "used_at": None,
        }
        await self.db.write([(_INSERT_CHALLENGE, row)])

    async def challenge(self, token_hash: str) -> MfaChallenge | None:
        rows = await self.db.read(_GET_CHALLENGE, {"hash": token_hash})
        return _challenge(rows[0]) if rows else None

    async def fail_challenge(self, token_hash: str) -> None:
        await self.db.write([(_FAIL_CHALLENGE, {"hash": token_hash})])

    async def close_challenge(self, token_hash: str, now: datetime) -> bool:
        return await self.db.write(
            [(_CLOSE_CHALLENGE, {"hash": token_hash, "now": now})], guard=True
        )

    async def purge(self, now: datetime) -> None:
        await self.db.write([(_PURGE_CHALLENGES, {"now": now})])

    @staticmethod
    def _codes(user_id: str, codes: Sequence[str]) -> list[Any]:
        return [
            (_DROP_CODES, {"uid": user_id}),
            *((_INSERT_CODE, {"code_hash": code, "user_id": user_id}) for code in codes),
        ]


def _challenge(row: Any) -> MfaChallenge:
    token_hash, user_id, credential, created_at, expires_at, failures, used_at = row
    return MfaChallenge(
        token_hash=token_hash,
        user_id=user_id,
        credential=credential,
        created_at=created_at,
        expires_at=expires_at,
        failures=int(failures),
        used_at=used_at,
    )
