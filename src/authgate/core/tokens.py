"""Access tokens: compact JWS (RFC 7515) with JWT claims (RFC 7519), via PyJWT.

This module is the only importer of PyJWT. One :class:`AccessTokens` is built per
application from the key ring and settings, so keys are parsed and options fixed
once. Verification is strict by construction:

* only the configured algorithm (never ``none``, never HMAC keyed with a public
  key: RFC 8725 §2.1 and §3.1; PyJWT advisories CVE-2022-29217, CVE-2017-11424);
* the header may hold only ``alg``, ``typ`` and a ``kid`` the ring holds: ``jku``,
  ``x5u``, ``jwk``, ``x5c``, ``crit``, ``b64`` are refused unread, even under a
  genuine signature (RFC 8725 §3.10: never fetch or trust keys named by a token);
* ``exp`` and ``iat`` are required NumericDates (RFC 7519 §2): numbers, not strings;
  ``exp`` is checked without leeway, ``nbf``/``iat`` with the configured leeway.

Time is an argument (``now``), so tests never sleep.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import OrderedDict
from typing import Any

import jwt

from authgate.core.errors import TokenExpired, TokenInvalid
from authgate.core.keys import KeyRing
from authgate.core.models import Principal

log = logging.getLogger("authgate.tokens")

_ALLOWED_HEADER = frozenset({"alg", "typ", "kid"})
_CACHE_SIZE = 4096
_REFUSED_SIZE = 1024


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class AccessTokens:
    """Issues and verifies access tokens with one key ring and fixed options.

    Verified tokens are remembered (a bounded map from the token string to its
    principal), so a token presented again costs a dictionary lookup instead of a
    signature check. Only tokens PyJWT has verified enter it; ``exp`` and ``nbf``
    are checked against ``now`` on every call. Tokens refused for their form or
    signature — a verdict no clock can change — are remembered too, in a smaller map,
    so a flood of one forged token costs little.
    """

    def __init__(
        self,
        keys: KeyRing,
        *,
        ttl: int,
        issuer: str | None = None,
        audience: str | None = None,
        leeway: int = 10,
    ) -> None:
        self.keys = keys
        self.ttl = ttl
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._algorithms = [keys.algorithm]
        self._jws = jwt.PyJWS(algorithms=self._algorithms)
        self._cache: OrderedDict[str, tuple[Principal, float | None]] = OrderedDict()
        self._refused: OrderedDict[str, str] = OrderedDict()

    def issue(
        self, *, user_id: str, email: str, session_id: str | None, now: float
    ) -> tuple[str, Principal]:
        """Sign a new access token for a user (and the session it belongs to)."""
        issued_at = int(now)
        claims: dict[str, Any] = {
            "sub": user_id,
            "email": email,
            "iat": issued_at,
            "exp": issued_at + self.ttl,
            "jti": uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = session_id
        if self.issuer is not None:
            claims["iss"] = self.issuer
        if self.audience is not None:
            claims["aud"] = self.audience
        signing = self.keys.signing
        headers = {"kid": signing.kid} if signing.kid is not None else None
        token = jwt.encode(claims, signing.key, algorithm=signing.algorithm, headers=headers)
        return token, self._principal(claims)

    def verify(self, token: str, now: float) -> Principal:
        """Verify a token and return its principal.

        Raises:
            TokenExpired: the signature is good and ``exp`` has passed.
            TokenInvalid: anything else (the reason is logged, not answered).
        """
        cached = self._cache.get(token)
        if cached is not None:
            principal, not_before = cached
            self._check_times(principal.expires_at, not_before, now)
            return principal
        refused = self._refused.get(token)
        if refused is not None:
            raise TokenInvalid(refused)
        try:
            claims = self._signed_claims(token)
        except TokenInvalid as exc:
            self._refused[token] = exc.reason
            if len(self._refused) > _REFUSED_SIZE:
                self._refused.popitem(last=False)
            raise
        principal, not_before = self._check_fresh(claims, now)
        self._cache[token] = (principal, not_before)
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return principal

    def forget_cached(self) -> None:
        """Drop every remembered verdict (after the key ring changed)."""
        self._cache.clear()
        self._refused.clear()

    def _signed_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token whose header and signature pass; nothing else checked.

        Raises:
            TokenInvalid: malformed, refused header, unknown key or bad signature.
        """
        try:
            header = jwt.get_unverified_header(token)
            self._check_header(header)
            key = self.keys.key_for(header.get("kid"))
            if key is None:
                raise TokenInvalid("unknown kid")
            decoded = self._jws.decode_complete(token, key, algorithms=self._algorithms)
            claims = json.loads(decoded["payload"])
        except jwt.InvalidTokenError as exc:
            raise TokenInvalid(f"{type(exc).__name__}: {exc}") from None
        except (ValueError, TypeError, RecursionError) as exc:
            raise TokenInvalid(f"malformed: {type(exc).__name__}") from None
        if not isinstance(claims, dict):
            raise TokenInvalid("payload is not a JSON object")
        return claims

    def _check_fresh(self, claims: dict[str, Any], now: float) -> tuple[Principal, float | None]:
        principal = self._check_claims(claims)
        not_before = claims.get("nbf")
        self._check_times(principal.expires_at, not_before, now)
        if principal.issued_at > now + self.leeway:
            raise TokenInvalid("iat in the future")
        return principal, not_before

    def _check_header(self, header: dict[str, Any]) -> None:
        extra = header.keys() - _ALLOWED_HEADER
        if extra:
            raise TokenInvalid(f"refused header parameters {sorted(extra)}")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
            raise TokenInvalid("typ is not JWT")
        if header.get("alg") not in self._algorithms:
            raise TokenInvalid("algorithm not allowed")

    def _check_claims(self, claims: dict[str, Any]) -> Principal:
        for name in ("exp", "iat"):
            if not _is_number(claims.get(name)):
                raise TokenInvalid(f"{name} missing or not a NumericDate")
        nbf = claims.get("nbf")
        if nbf is not None and not _is_number(nbf):
            raise TokenInvalid("nbf is not a NumericDate")
        for name in ("sub", "jti", "email"):
            value = claims.get(name)
            if not isinstance(value, str) or not value:
                raise TokenInvalid(f"{name} missing or not a string")
        sid = claims.get("sid")
        if sid is not None and not isinstance(sid, str):
            raise TokenInvalid("sid is not a string")
        if self.issuer is not None and claims.get("iss") != self.issuer:
            raise TokenInvalid("wrong issuer")
        if self.audience is not None:
            aud = claims.get("aud")
            audiences = [aud] if isinstance(aud, str) else aud
            if not isinstance(audiences, list) or self.audience not in audiences:
                raise TokenInvalid("wrong audience")
        return self._principal(claims)

    def _check_times(self, expires_at: float, not_before: float | None, now: float) -> None:
        if now >= expires_at:
            raise TokenExpired("exp has passed")
        if not_before is not None and not_before > now + self.leeway:
            raise TokenInvalid("nbf in the future")

    @staticmethod
    def _principal(claims: dict[str, Any]) -> Principal:
        return Principal(
            id=claims["sub"],
            email=claims["email"],
            session_id=claims.get("sid"),
            token_id=claims["jti"],
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
        )

    def decode_unverified(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Header and claims without any check, for display only (``token decode``).

        Raises:
            TokenInvalid: the token cannot be parsed at all.
        """
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            raise TokenInvalid(str(exc)) from None
        except (ValueError, TypeError, RecursionError) as exc:
            raise TokenInvalid(f"malformed: {type(exc).__name__}") from None
        return header, claims
