"""Access tokens: compact JWS (RFC 7515) with JWT claims (RFC 7519), via PyJWT.

This module is the only importer of PyJWT. One :class:`TokenVerifier` holds a key
ring and fixed options; :class:`AccessTokens` (the server's) also signs, and the
JWKS verifier for other services (:mod:`authgate.verify`) uses a plain
:class:`TokenVerifier`: both run the one check (:func:`signed_claims`, then
:func:`check_claims`), which is strict by construction:

* only the configured algorithms (never ``none``, never HMAC keyed with a public
  key: RFC 8725 §2.1 and §3.1; PyJWT advisories CVE-2022-29217, CVE-2017-11424),
  and a key is used only with the algorithm it was made for (RFC 8725 §3.1);
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
import math
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import get_default_algorithms

from authgate.core.errors import TokenExpired, TokenInvalid
from authgate.core.keys import KeyRing, SigningKey, jwk_thumbprint
from authgate.core.models import Principal

log = logging.getLogger("authgate.tokens")

_ALLOWED_HEADER = frozenset({"alg", "typ", "kid"})
_CACHE_SIZE = 4096
_REFUSED_SIZE = 1024
#: 9999-12-31T23:59:59Z: the last instant a ``datetime`` (and the database) can hold.
MAX_NUMERIC_DATE = 253_402_300_799
#: JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: Left out of published keys: ``use`` says it (RFC 7517 §4.3: not both).
_OMITTED_MEMBERS = _PRIVATE_MEMBERS | {"key_ops"}
ASYMMETRIC_ALGORITHMS = ("EdDSA", "ES256", "RS256")
#: One parser for every verification: it holds no state beyond its algorithm table,
#: and each call names the one algorithm it accepts.
_JWS = jwt.PyJWS(algorithms=["HS256", *ASYMMETRIC_ALGORITHMS])


class UnknownKid(TokenInvalid):
    """``token_invalid`` because the ``kid`` is not in the ring (whose owner may
    re-read its keys once, rate-limited, and try again)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRules:
    """What a token must satisfy besides its signature."""

    algorithms: frozenset[str]
    issuer: str | None = None
    audience: str | None = None
    leeway: int = 10


def _is_numeric_date(value: object) -> bool:
    """A JSON number of seconds between 1970 and the year 9999: not a boolean, not
    NaN or infinite (Python's JSON reads ``NaN`` and ``1e999``), nothing that
    overflows a ``datetime`` or a BIGINT column downstream."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return math.isfinite(value) and 0 <= value <= MAX_NUMERIC_DATE


def read_header(token: str, rules: TokenRules) -> dict[str, Any]:
    """The JOSE header, checked before any key is chosen.

    Raises:
        TokenInvalid: malformed, or a parameter, ``typ`` or ``alg`` not allowed.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise TokenInvalid(f"{type(exc).__name__}: {exc}") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise TokenInvalid(f"malformed: {type(exc).__name__}") from None
    extra = header.keys() - _ALLOWED_HEADER
    if extra:
        raise TokenInvalid(f"refused header parameters {sorted(extra)}")
    # Present means of the right type: ``"typ": null`` or ``"kid": null`` is not the
    # same as leaving the member out (API.md §4).
    typ = header.get("typ", "JWT")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise TokenInvalid("typ is not JWT")
    if "kid" in header and not isinstance(header["kid"], str):
        raise TokenInvalid("kid is not a string")
    # A member of the wrong JSON type (``"alg": []``) is refused, not looked up: a
    # list or an object is not hashable and would escape as a TypeError.
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in rules.algorithms:
        raise TokenInvalid("algorithm not allowed")
    return header


def signed_claims(
    token: str, keys: KeyRing, rules: TokenRules, *, jws: jwt.PyJWS = _JWS
) -> dict[str, Any]:
    """The claims of a token whose header and signature pass; nothing else checked.

    Raises:
        UnknownKid: the ``kid`` is not in ``keys``.
        TokenInvalid: malformed, refused header, wrong algorithm or bad signature.
    """
    header = read_header(token, rules)
    kid = header.get("kid")
    key = keys.key_for(kid)
    if key is None:
        raise UnknownKid("unknown kid") if kid is not None else TokenInvalid("kid missing")
    if header["alg"] != key.algorithm:
        raise TokenInvalid("algorithm does not match the key")
    try:
        decoded = jws.decode_complete(token, key.key, algorithms=[key.algorithm])
        claims = json.loads(decoded["payload"])
    except jwt.InvalidTokenError as exc:
        raise TokenInvalid(f"{type(exc).__name__}: {exc}") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise TokenInvalid(f"malformed: {type(exc).__name__}") from None
    if not isinstance(claims, dict):
        raise TokenInvalid("payload is not a JSON object")
    return claims


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
    )


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
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
        self._jws = jwt.PyJWS(algorithms=sorted(self.rules.algorithms))
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
            self._refused[token] = exc
            if len(self._refused) > _REFUSED_SIZE:
                self._refused.popitem(last=False)
            raise
        principal, not_before = check_claims(claims, self.rules, now)
        self._cache[token] = (principal, not_before)
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
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

    When the ring comes from a key directory (``keys.source``), every call first asks
    the directory for the ring in force (a cheap, rate-limited check), so a
    rotation made by another process is picked up, and a token with an unknown
    ``kid`` triggers one early re-check before it is refused.
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
    ) -> tuple[str, Principal]:
        """Sign a new access token for a user (and the session it belongs to); its
        ``jti`` is ``token_id`` if given, else random."""
        self._refresh(now)
        issued_at = int(now)
        claims: dict[str, Any] = {
            "sub": user_id,
            "email": email,
            "iat": issued_at,
            "exp": issued_at + self.ttl,
            "jti": token_id or uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = session_id
        if self.issuer is not None:
            claims["iss"] = self.issuer
        if self.audience is not None:
            claims["aud"] = self.audience
        signing = self.keys.signing
        if signing is None:
            raise ValueError("the key ring has no signing key")
        headers = {"kid": signing.kid} if signing.kid is not None else None
        token = jwt.encode(claims, signing.key, algorithm=signing.algorithm, headers=headers)
        return token, principal_of(claims)

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
        """Take the ring in force from the key directory; True if it changed."""
        if self._source is None:
            return False
        ring = self._source.ring(now, unknown_kid=unknown_kid)
        if ring is self.keys:
            return False
        self.use_keys(ring)
        return True


# -- JWKs (RFC 7517) -------------------------------------------------------------------


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """The public JWK of an asymmetric key, with ``kid``, ``alg`` and ``use: sig``.

    Raises:
        ValueError: not an EdDSA, ES256 or RS256 key.
    """
    if key.algorithm not in ASYMMETRIC_ALGORITHMS:
        raise ValueError(f"{key.algorithm} has no public key")
    algorithm = get_default_algorithms()[key.algorithm]
    public = key.key.public_key() if hasattr(key.key, "private_bytes") else key.key
    jwk: dict[str, Any] = algorithm.to_jwk(public, as_dict=True)
    members = {name: value for name, value in jwk.items() if name not in _OMITTED_MEMBERS}
    members.update(kid=key.kid or jwk_thumbprint(members), alg=key.algorithm, use="sig")
    return members


def key_from_jwk(jwk: Mapping[str, Any], algorithms: Iterable[str]) -> SigningKey:
    """A verification key from a public JWK, bound to its algorithm.

    The key must name its ``kid`` and an allowed ``alg``, be for signatures, and be
    public: a symmetric (``oct``) key or private members are refused.

    Raises:
        ValueError: the JWK is unusable (the message says why).
    """
    kid, alg, use = jwk.get("kid"), jwk.get("alg"), jwk.get("use")
    if not isinstance(kid, str) or not kid:
        raise ValueError("no kid")
    if alg not in set(algorithms) or alg not in ASYMMETRIC_ALGORITHMS:
        raise ValueError(f"alg {alg!r} is not allowed")
    if use not in (None, "sig"):
        raise ValueError(f"use {use!r} is not sig")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise ValueError("the JWK holds private members; refusing it")
    try:
        parsed = jwt.PyJWK(dict(jwk), algorithm=alg)
    except jwt.PyJWTError as exc:
        raise ValueError(str(exc)) from None
    return SigningKey(alg, kid, parsed.key)
