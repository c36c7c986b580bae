"""One test per published JWT advisory that authgate's token reader defends against,
named after it: each forged token is refused as ``token_invalid`` (never accepted,
never a 500). The HTTP-level versions of several live in tests/web/test_key_hardening.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from authgate.core.errors import TokenInvalid
from authgate.core.jose import SigningKey, public_jwk
from authgate.core.keys import KeyRing
from authgate.core.tokens import AccessTokens

NOW = 1_800_000_000.0
KID = "k1"
PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC = PRIVATE.public_key()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**changes: Any) -> dict[str, Any]:
    claims = {"sub": "u1", "email": "a@example.com", "iat": int(NOW), "exp": int(NOW) + 900}
    return {**claims, "jti": "j1", **changes}


def _input(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _hs256(key: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = _input(header, claims)
    return f"{signing_input}.{_b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


def _es256(header: dict[str, Any], claims: dict[str, Any], key: Any = PRIVATE) -> str:
    signing_input = _input(header, claims)
    signature = jwt.get_algorithm_by_name("ES256").sign(signing_input.encode(), key)
    return f"{signing_input}.{_b64(signature)}"


@pytest.fixture
def tokens() -> AccessTokens:
    """A server signing ES256 with one key, issuer and audience set."""
    signing = SigningKey("ES256", KID, PRIVATE)
    ring = KeyRing(
        signing,
        {KID: SigningKey("ES256", KID, PUBLIC)},
        (public_jwk(SigningKey("ES256", KID, PUBLIC)),),
    )
    return AccessTokens(ring, ttl=900, issuer="https://auth.example.com", audience="api")


def refused(tokens: AccessTokens, token: str) -> None:
    with pytest.raises(TokenInvalid):
        tokens.verify(token, NOW)


def good_claims() -> dict[str, Any]:
    return _claims(iss="https://auth.example.com", aud="api")


def test_genuine_token_passes(tokens: AccessTokens) -> None:
    """The baseline: a token the server signed is accepted (so the refusals below mean
    something)."""
    assert tokens.verify(_es256({"alg": "ES256", "kid": KID}, good_claims()), NOW).id == "u1"


def test_cve_2015_9235_alg_none_is_refused(tokens: AccessTokens) -> None:
    """jsonwebtoken < 4.2.2 accepted ``alg: none`` tokens with no signature."""
    for alg in ("none", "None", "NONE"):
        refused(tokens, _input({"alg": alg, "kid": KID}, good_claims()) + ".")


def test_cve_2016_10555_hs256_keyed_with_the_public_pem_is_refused(tokens: AccessTokens) -> None:
    """Key confusion (jwt-simple, CVE-2017-11424 in PyJWT): an HMAC over the token
    keyed with the server's public key, which anyone can read from the JWKS."""
    pem = PUBLIC.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for header in ({"alg": "HS256", "kid": KID}, {"alg": "HS256"}):
        refused(tokens, _hs256(pem, header, good_claims()))


def test_cve_2022_29217_hs256_keyed_with_an_openssh_public_key_is_refused(
    tokens: AccessTokens,
) -> None:
    """PyJWT < 2.4.0 let ``algorithms=jwt.algorithms.get_default_algorithms()`` HMAC with
    an OpenSSH-format public key."""
    ssh = PUBLIC.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    refused(tokens, _hs256(ssh, {"alg": "HS256", "kid": KID}, good_claims()))


def test_cve_2018_0114_a_key_embedded_in_the_header_is_not_trusted(tokens: AccessTokens) -> None:
    """node-jose < 0.11.0 verified with the ``jwk`` the token itself carried."""
    attacker = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(SigningKey("ES256", "evil", attacker.public_key()))
    refused(tokens, _es256({"alg": "ES256", "jwk": jwk}, good_claims(), attacker))
    refused(tokens, _es256({"alg": "ES256", "kid": KID, "jwk": jwk}, good_claims(), attacker))


@pytest.mark.parametrize("member", ["jku", "x5u"])
def test_rfc_8725_3_10_keys_named_by_url_are_never_fetched(
    tokens: AccessTokens, member: str
) -> None:
    """A token naming where to fetch its key is refused unread, even when genuine."""
    refused(
        tokens,
        _es256({"alg": "ES256", "kid": KID, member: "https://evil.example/k"}, good_claims()),
    )


def test_cve_2022_21449_psychic_ecdsa_signature_is_refused(tokens: AccessTokens) -> None:
    """Java 15-18 accepted the ECDSA signature r = s = 0 for any message and key."""
    refused(tokens, _input({"alg": "ES256", "kid": KID}, good_claims()) + "." + _b64(bytes(64)))


def test_cve_2022_39227_json_serialization_smuggling_is_refused(tokens: AccessTokens) -> None:
    """python-jwt < 3.3.4 mixed compact and JSON serialisations, letting an attacker
    swap in claims beside a genuine signature."""
    genuine = _es256({"alg": "ES256", "kid": KID}, good_claims())
    header, _, signature = genuine.split(".")
    forged_claims = _b64(
        json.dumps(_claims(sub="admin", iss="https://auth.example.com", aud="api")).encode()
    )
    smuggled = json.dumps(
        {
            f"{header}.{forged_claims}.": "",
            "protected": header,
            "payload": _input({}, good_claims()).split(".")[1],
            "signature": signature,
        }
    )
    refused(tokens, smuggled)
    refused(tokens, f"{header}.{forged_claims}.{signature}")


def test_cve_2024_53861_part_of_the_issuer_is_not_the_issuer(tokens: AccessTokens) -> None:
    """PyJWT 2.10.0 checked ``iss`` with ``in`` against a string: a substring of the
    expected issuer passed."""
    for iss in ("auth.example.com", "https://auth.example", "", ["https://auth.example.com", "x"]):
        refused(tokens, _es256({"alg": "ES256", "kid": KID}, good_claims() | {"iss": iss}))


@pytest.mark.parametrize(
    "kid",
    ["../../../../dev/null", "' OR '1'='1", "k1\x00", KID.upper(), "", 1],
    ids=["path-traversal", "sql-injection", "nul", "case", "empty", "number"],
)
def test_kid_injection_is_refused(tokens: AccessTokens, kid: Any) -> None:
    """A ``kid`` the server does not hold is refused, never used as a path or a query
    (RFC 8725 §3.10; the kid-injection family of advisories)."""
    refused(tokens, _es256({"alg": "ES256", "kid": kid}, good_claims()))


def test_crit_header_is_refused(tokens: AccessTokens) -> None:
    """RFC 7515 §4.1.11: a critical extension the server does not understand makes
    the token invalid (libraries that ignored ``crit`` accepted it)."""
    refused(tokens, _es256({"alg": "ES256", "kid": KID, "crit": ["exp"]}, good_claims()))


def test_exp_as_a_string_is_not_a_numeric_date(tokens: AccessTokens) -> None:
    """RFC 7519 §2: ``"exp": "1795741178"`` compared as text would never expire."""
    refused(
        tokens, _es256({"alg": "ES256", "kid": KID}, good_claims() | {"exp": str(int(NOW) + 900)})
    )
