"""JOSE formats, via PyJWT and ``cryptography``: keys as JWKs, compact JWS in and out.

This module is the only importer of PyJWT. It holds what is true of a key or a
token whatever the key ring or the claims:

* :class:`SigningKey`, the public JWK of a key (RFC 7517) and its RFC 7638
  thumbprint (the ``kid`` of a generated key), a verification key imported from a
  JWK, new key pairs and their PKCS #8 PEM form;
* the JWS header check and signature check (:func:`read_header`,
  :func:`signed_claims`), strict by construction: only the configured algorithms
  (never ``none``, never HMAC keyed with a public key: RFC 8725 §2.1 and §3.1;
  PyJWT advisories CVE-2022-29217, CVE-2017-11424), a key used only with the
  algorithm it was made for, and a header holding only ``alg``, ``typ`` and a
  ``kid`` the ring holds (``jku``, ``x5u``, ``jwk``, ``x5c``, ``crit``, ``b64`` are
  refused unread: RFC 8725 §3.10);
* :func:`sign` (compact JWS of a claims set) and :func:`decode_unverified` (for
  display only: ``authgate token decode``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import HMACAlgorithm, get_default_algorithms

from authgate.core.errors import TokenInvalid

ASYMMETRIC_ALGORITHMS = ("EdDSA", "ES256", "RS256")
RSA_BITS = 2048  # RFC 7518 §3.3: 2048 bits at least
_ALLOWED_HEADER = frozenset({"alg", "typ", "kid"})
#: JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: Left out of published keys: ``use`` says it (RFC 7517 §4.3: not both).
_OMITTED_MEMBERS = _PRIVATE_MEMBERS | {"key_ops"}
#: RFC 7638 §3.2: the members of each key type that its thumbprint covers.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}
#: Secrets whose checks passed (:class:`_SecretCheckedOnce`), for every parser of the
#: process: a ring holds one or a few.
_PASSED_SECRETS: dict[bytes, bytes] = {}
_PASSED_SECRETS_MAX = 16


class _SecretCheckedOnce(HMACAlgorithm):
    """HS256 whose key checks run once per secret instead of on every token.

    PyJWT refuses an HMAC secret that is a PEM, SSH, DER or JWK key (RFC 8725 §3.1)
    by trying to parse it as each, DER as a public key and as a certificate: on every
    signature and verification, 8 µs of a login's 19 µs of signing here, and far
    more on a cache that Argon2 has just swept. The verdict depends on the secret
    alone, so a secret that passed is not parsed again; one that fails raises as
    before, every time.
    """

    def prepare_key(self, key: str | bytes) -> bytes:
        if not isinstance(key, str | bytes):  # refused by PyJWT, as before
            return super().prepare_key(key)
        raw = key.encode() if isinstance(key, str) else key
        prepared = _PASSED_SECRETS.get(raw)
        if prepared is None:
            prepared = super().prepare_key(key)
            if len(_PASSED_SECRETS) >= _PASSED_SECRETS_MAX:
                _PASSED_SECRETS.clear()
            _PASSED_SECRETS[raw] = prepared
        return prepared


def new_parser(algorithms: Iterable[str]) -> jwt.PyJWS:
    """A JWS parser and signer that knows only ``algorithms``."""
    known = sorted(algorithms)
    jws = jwt.PyJWS(algorithms=known)
    if "HS256" in known:
        jws.unregister_algorithm("HS256")
        jws.register_algorithm("HS256", _SecretCheckedOnce(HMACAlgorithm.SHA256))
    return jws


#: One parser and signer for every token: it holds no state beyond its algorithm
#: table (and the secrets that passed their check), and each call names the one
#: algorithm it accepts.
_JWS = new_parser(["HS256", *ASYMMETRIC_ALGORITHMS])


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One JWS key: its algorithm, its ``kid`` (None under HS256) and the key itself
    (the shared secret, a private key that signs or a public key that verifies)."""

    algorithm: str
    kid: str | None
    key: Any = field(repr=False)


class KeyLookup(Protocol):
    """What :func:`signed_claims` needs of a key ring."""

    def key_for(self, kid: str | None) -> SigningKey | None: ...


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


# -- JWS -------------------------------------------------------------------------------


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
    token: str, keys: KeyLookup, rules: TokenRules, *, jws: jwt.PyJWS = _JWS
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


def sign(claims: Mapping[str, Any], key: SigningKey) -> str:
    """A compact JWS of ``claims`` under ``key`` (its ``kid`` in the header, if any)."""
    headers = {"kid": key.kid} if key.kid is not None else None
    # As jwt.encode serialises a payload of plain JSON values (ours are: no datetimes).
    payload = json.dumps(dict(claims), separators=(",", ":")).encode()
    return _JWS.encode(payload, key.key, algorithm=key.algorithm, headers=headers)


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


# -- JWKs (RFC 7517) and key pairs -----------------------------------------------------


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK: SHA-256, base64url without padding.

    Raises:
        ValueError: the key type is not EC, RSA or OKP, or a member is missing.
    """
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None or any(not isinstance(jwk.get(name), str) for name in members):
        raise ValueError("not a public EC, RSA or OKP JWK")
    # §3.3: members in lexicographic order, no whitespace, UTF-8.
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """The public JWK of an asymmetric key, with ``kid``, ``alg`` and ``use: sig``
    (the ``kid`` is the key's, else its thumbprint).

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


def new_private_key(algorithm: str) -> Any:
    """A fresh private key for EdDSA (Ed25519), ES256 (P-256) or RS256 (2048-bit RSA)."""
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise ValueError(f"{algorithm} has no key pair")


def fits(algorithm: str, key: Any) -> bool:
    """Whether a private key is one ``algorithm`` signs with (RSA: 2048 bits at least)."""
    if algorithm == "EdDSA":
        return isinstance(key, ed25519.Ed25519PrivateKey)
    if algorithm == "ES256":
        return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)
    return isinstance(key, rsa.RSAPrivateKey) and key.key_size >= RSA_BITS


def private_pem(key: Any) -> bytes:
    """A private key as unencrypted PKCS #8 PEM."""
    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem


def load_private_pem(data: bytes) -> Any:
    """The private key of an unencrypted PEM.

    Raises:
        ValueError, TypeError: not an unencrypted PEM private key.
    """
    return serialization.load_pem_private_key(data, password=None)
