"""Access tokens: JWT claims (RFC 7519) over compact JWS, issued and verified.

The JWS layer (header, signature, keys as JWKs) is :mod:`authgate.core.jose`. Here:
the claim checks (:func:`check_claims`: ``exp`` and ``iat`` required NumericDates,
numbers not strings; ``exp`` checked without leeway, ``nbf``/``iat`` with the
configured leeway; issuer and audience), :class:`TokenVerifier` (one key ring,
fixed rules, and the verdict caches wrapped around the one check) used as is by
the JWKS verifier for other services (:mod:`authgate.verify`), and
:class:`AccessTokens`, the server's, which also signs and takes the ring in force
from its :class:`~authgate.core.keys.KeySource` (a rotated key directory).

Time is an argument (``now``), so tests never sleep.
"""

from __future__ import annotations

import math
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, TypeVar

from authgate.core.errors import TokenExpired, TokenInvalid
from authgate.core.jose import TokenRules, UnknownKid, new_parser, sign, signed_claims
from authgate.core.keys import KeyRing
from authgate.core.models import Principal

_CACHE_SIZE = 4096
_REFUSED_SIZE = 1024
#: 9999-12-31T23:59:59Z: the last instant a ``datetime`` (and the database) can hold.
MAX_NUMERIC_DATE = 253_402_300_799

_V = TypeVar("_V")


def _is_numeric_date(value: object) -> bool:
    """A JSON number of seconds between 1970 and the year 9999: not a boolean, not
    NaN or infinite (Python's JSON reads ``NaN`` and ``1e999``), nothing that
    overflows a ``datetime`` or a BIGINT column downstream."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return math.isfinite(value) and 0 <= value <= MAX_NUMERIC_DATE


def check_claims(
    claims: dict[str, Any], rules: TokenRules, now: float
) -> tuple[Principal, float | None]:
    """The claims' types, issuer, audience and times (a verdict that time may change).

    Raises:
        TokenExpired: ``exp`` has passed.
        TokenInvalid: a claim is missing or wrong, or the token is not valid yet.
    """
    principal = _check_claims(claims, rules)
    not_before = claims.get("nbf")
    check_times(principal.expires_at, not_before, now, rules.leeway)
    if principal.issued_at > now + rules.leeway:
        raise TokenInvalid("iat in the future")
    return principal, not_before


def _check_claims(claims: dict[str, Any], rules: TokenRules) -> Principal:
    for name in ("exp", "iat"):
        if not _is_numeric_date(claims.get(name)):
            raise TokenInvalid(f"{name} missing or not a NumericDate")
    nbf = claims.get("nbf")
    if nbf is not None and not _is_numeric_date(nbf):
        raise TokenInvalid("nbf is not a NumericDate")
    for name in ("sub", "jti", "email"):
        value = claims.get(name)
        if not isinstance(value, str) or not value:
            raise TokenInvalid(f"{name} missing or not a string")
    sid = claims.get("sid")
    if sid is not None and not isinstance(sid, str):
        raise TokenInvalid("sid is not a string")
    if not isinstance(claims.get("email_verified", False), bool):
        raise TokenInvalid("email_verified is not a boolean")
    auth_time = claims.get("auth_time")
    if auth_time is not None and not _is_numeric_date(auth_time):
        raise TokenInvalid("auth_time is not a NumericDate")
    amr = claims.get("amr", ["pwd"])
    if not isinstance(amr, list) or not all(isinstance(m, str) for m in amr) or len(amr) > 8:
        raise TokenInvalid("amr is not a list of strings")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles) or len(roles) > 32:
        raise TokenInvalid("roles is not a list of strings")
    if rules.issuer is not None and claims.get("iss") != rules.issuer:
        raise TokenInvalid("wrong issuer")
    if rules.audience is not None:
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud
        if not isinstance(audiences, list) or rules.audience not in audiences:
            raise TokenInvalid("wrong audience")
    return principal_of(claims)


def check_times(expires_at: float, not_before: float | None, now: float, leeway: int) -> None:
    """Raises TokenExpired once ``exp`` has passed, TokenInvalid before ``nbf``."""
    if now >= expires_at:
        raise TokenExpired("exp has passed")
    if not_before is not None and not_before > now + leeway:
        raise TokenInvalid("nbf in the future")


def principal_of(claims: dict[str, Any]) -> Principal:
    return Principal(
        id=claims["sub"],
        email=claims["email"],
        session_id=claims.get("sid"),
        token_id=claims["jti"],
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
        email_verified=claims.get("email_verified") is True,
        auth_time=int(claims.get("auth_time", claims["iat"])),
        amr=tuple(claims.get("amr", ("pwd",))),
        roles=tuple(claims.get("roles", ())),
    )


def _remember(cache: OrderedDict[str, _V], token: str, verdict: _V, size: int) -> None:
    """Keep a verdict in a bounded map, forgetting the oldest beyond ``size``."""
    cache[token] = verdict
    if len(cache) > size:
        cache.popitem(last=False)


class TokenVerifier:
    """Verifies access tokens with one key ring and fixed rules.

    Verified tokens are remembered (a bounded map from the token string to its
    principal), so a token presented again costs a dictionary lookup instead of a
    signature check. Only tokens that passed every check enter it; ``exp``
    and ``nbf`` are checked against ``now`` on every call. Tokens refused for their
    form or signature — a verdict no clock can change while the ring stays the
    same — are remembered too, in a smaller map, so a flood of one forged token
    costs little. Both maps are emptied when the ring changes.
    """

    def __init__(
        self,
        keys: KeyRing,
        *,
        algorithms: Iterable[str],
        issuer: str | None = None,
        audience: str | None = None,
        leeway: int = 10,
    ) -> None:
        self.keys = keys
        self.rules = TokenRules(
            algorithms=frozenset(algorithms), issuer=issuer, audience=audience, leeway=leeway
        )
        self._jws = new_parser(self.rules.algorithms)
        self._cache: OrderedDict[str, tuple[Principal, float | None]] = OrderedDict()
        self._refused: OrderedDict[str, TokenInvalid] = OrderedDict()

    @property
    def issuer(self) -> str | None:
        return self.rules.issuer

    @property
    def audience(self) -> str | None:
        return self.rules.audience

    @property
    def leeway(self) -> int:
        return self.rules.leeway

    def verify(self, token: str, now: float) -> Principal:
        """Verify a token and return its principal.

        Raises:
            TokenExpired: the signature is good and ``exp`` has passed.
            UnknownKid: the ``kid`` is not in the ring (a ``TokenInvalid``).
            TokenInvalid: anything else (the reason is logged, not answered).
        """
        cached = self._cache.get(token)
        if cached is not None:
            principal, not_before = cached
            check_times(principal.expires_at, not_before, now, self.rules.leeway)
            return principal
        refused = self._refused.get(token)
        if refused is not None:
            raise type(refused)(refused.reason)
        try:
            claims = signed_claims(token, self.keys, self.rules, jws=self._jws)
        except TokenInvalid as exc:
            _remember(self._refused, token, exc, _REFUSED_SIZE)
            raise
        principal, not_before = check_claims(claims, self.rules, now)
        _remember(self._cache, token, (principal, not_before), _CACHE_SIZE)
        return principal

    def use_keys(self, keys: KeyRing) -> None:
        """Verify with another ring from now on (a rotation, a refetched JWKS)."""
        if keys is not self.keys:
            self.keys = keys
            self.forget_cached()

    def forget_cached(self) -> None:
        """Drop every remembered verdict (after the key ring changed)."""
        self._cache.clear()
        self._refused.clear()


class AccessTokens(TokenVerifier):
    """The server's tokens: signs with the ring's signing key, verifies with its ring.

    When the ring has a :class:`~authgate.core.keys.KeySource` (``keys.source``: a key
    directory), every call first asks it for the ring in force (a cheap,
    rate-limited check), so a rotation made by another process is picked up, and a
    token with an unknown ``kid`` triggers one early re-check before it is refused.
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
        super().__init__(
            keys, algorithms=[keys.algorithm], issuer=issuer, audience=audience, leeway=leeway
        )
        self.ttl = ttl
        self._source = keys.source

    def issue(
        self,
        *,
        user_id: str,
        email: str,
        session_id: str | None,
        now: float,
        token_id: str | None = None,
        email_verified: bool = False,
        auth_time: int | None = None,
        amr: tuple[str, ...] = ("pwd",),
        roles: tuple[str, ...] = (),
    ) -> tuple[str, Principal]:
        """Sign a new access token for a user (and the session it belongs to); its
        ``jti`` is ``token_id`` if given, else random."""
        self._refresh(now)
        issued_at = int(now)
        claims: dict[str, Any] = {
            "sub": user_id,
            "email": email,
            "email_verified": email_verified,
            "auth_time": issued_at if auth_time is None else auth_time,
            "amr": list(amr),
            "iat": issued_at,
            "exp": issued_at + self.ttl,
            "jti": token_id or uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = session_id
        if roles:  # only when the user has any (API.md §4)
            claims["roles"] = list(roles)
        if self.issuer is not None:
            claims["iss"] = self.issuer
        if self.audience is not None:
            claims["aud"] = self.audience
        signing = self.keys.signing
        if signing is None:
            raise ValueError("the key ring has no signing key")
        return sign(claims, signing), principal_of(claims)

    def verify(self, token: str, now: float) -> Principal:
        self._refresh(now)
        try:
            return super().verify(token, now)
        except UnknownKid:
            if not self._refresh(now, unknown_kid=True):
                raise
        return super().verify(token, now)

    def jwks(self, now: float) -> dict[str, list[dict[str, Any]]]:
        """The public keys in force at ``now`` (RFC 7517 §5)."""
        self._refresh(now)
        return self.keys.jwks()

    def _refresh(self, now: float, *, unknown_kid: bool = False) -> bool:
        """Take the ring in force from the key source; True if it changed."""
        if self._source is None:
            return False
        ring = self._source.ring(now, unknown_kid=unknown_kid)
        if ring is self.keys:
            return False
        self.use_keys(ring)
        return True
