"""Attacks on asymmetric tokens: each one is a 401 ``token_invalid``, nothing else.

Key confusion (RFC 8725 §2.1, CVE-2022-29217), keys named by the token (``jku``,
``x5u``, ``jwk``: RFC 8725 §3.10), hostile ``kid`` values, ECDSA "psychic
signatures" (r = s = 0, CVE-2022-21449), ``alg: none`` (RFC 8725 §2.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from authgate.core.jose import public_jwk
from tests.helpers import bearer, signed_up


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Token checks do not touch the database: SQLite is enough here."""
    return f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    decode = jwt.utils.base64url_decode
    return json.loads(decode(header)), json.loads(decode(payload)), signature


def assemble(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(signature)}"


def signed(header: dict[str, Any], claims: dict[str, Any], key: Any, alg: str) -> str:
    """A JWS over any header at all (PyJWT's encode refuses some that attackers send)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = jwt.get_algorithm_by_name(alg).sign(signing_input.encode(), key)
    return f"{signing_input}.{b64(signature)}"


def hs256_with(key: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """HS256 computed by hand: PyJWT itself refuses to HMAC with a PEM or JWK public key."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


Started = tuple[httpx.AsyncClient, Any, str]


@pytest.fixture
async def start(
    app_factory: Callable[..., Any], tmp_path: Path
) -> AsyncIterator[Callable[[str], Any]]:
    """Start a server with an asymmetric algorithm; its client, gate and a genuine token."""
    clients: list[httpx.AsyncClient] = []

    async def run(algorithm: str) -> Started:
        app, gate = await app_factory(algorithm=algorithm, keys_dir=tmp_path / "keys")
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="https://testserver")
        clients.append(client)
        token = (await signed_up(client))["access_token"]
        return client, gate, token

    yield run
    for client in clients:
        await client.aclose()


async def assert_invalid(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/auth/me", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "token_invalid"
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
async def test_the_genuine_token_is_accepted(start: Any, algorithm: str) -> None:
    """The baseline the attacks below depart from."""
    client, _, token = await start(algorithm)
    assert (await client.get("/auth/me", headers=bearer(token))).status_code == 200


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
@pytest.mark.parametrize("form", ["pem", "jwk", "der"])
async def test_hs256_keyed_with_the_public_key_is_refused(
    start: Any, algorithm: str, form: str
) -> None:
    """Key confusion: an HMAC over the token keyed with the published public key."""
    client, gate, token = await start(algorithm)
    header, claims, _ = segments(token)
    public = gate.service.tokens.keys.signing.key.public_key()
    key = {
        "pem": lambda: public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "der": lambda: public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk": lambda: json.dumps(gate.service.tokens.keys.jwks()["keys"][0]).encode(),
    }[form]()
    await assert_invalid(client, hs256_with(key, {**header, "alg": "HS256"}, claims))


@pytest.mark.parametrize(
    "kid",
    [
        pytest.param("unknown-key", id="unknown"),
        pytest.param("../../../../../../dev/null", id="path"),
        pytest.param("/etc/passwd", id="absolute-path"),
        pytest.param("' OR '1'='1' --", id="sql"),
        pytest.param("x' UNION SELECT 'secret", id="sql-union"),
        pytest.param("", id="empty"),
        pytest.param(7, id="number"),
        pytest.param({"kid": "nested"}, id="object"),
    ],
)
async def test_a_hostile_kid_is_refused_even_under_a_genuine_signature(
    start: Any, kid: object
) -> None:
    """A kid the ring does not hold is never looked up anywhere else."""
    client, gate, token = await start("ES256")
    _, claims, _ = segments(token)
    signing = gate.service.tokens.keys.signing
    header = {"alg": "ES256", "typ": "JWT", "kid": kid}
    forged = signed(header, claims, signing.key, "ES256")
    await assert_invalid(client, forged)


@pytest.mark.parametrize("parameter", ["jku", "x5u", "jwk", "x5c", "crit"])
@pytest.mark.parametrize("signer", ["attacker", "genuine"])
async def test_keys_named_by_the_token_are_never_followed(
    start: Any, parameter: str, signer: str
) -> None:
    """jku/x5u/jwk/x5c/crit are refused unread: with the attacker's key, and even
    when the genuine key signed."""
    client, gate, token = await start("ES256")
    _, claims, _ = segments(token)
    attacker = ec.generate_private_key(ec.SECP256R1())
    attacker_jwk = public_jwk(type(gate.service.tokens.keys.signing)("ES256", None, attacker))
    values: dict[str, Any] = {
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "jwk": attacker_jwk,
        "x5c": ["MIIB"],
        "crit": ["exp"],
    }
    signing = gate.service.tokens.keys.signing
    key, kid = (
        (attacker, attacker_jwk["kid"]) if signer == "attacker" else (signing.key, signing.kid)
    )
    headers = {"kid": kid, parameter: values[parameter]}
    forged = jwt.encode(claims, key, algorithm="ES256", headers=headers)
    await assert_invalid(client, forged)


async def test_a_token_signed_by_an_unpublished_key_under_a_published_kid_is_refused(
    start: Any,
) -> None:
    """Naming the server's kid does not make an attacker's signature valid."""
    client, gate, token = await start("EdDSA")
    _, claims, _ = segments(token)
    attacker = ed25519.Ed25519PrivateKey.generate()
    kid = gate.service.tokens.keys.signing.kid
    await assert_invalid(
        client, jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": kid})
    )


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(bytes(64), id="r=s=0"),
        pytest.param(bytes(32) + b"\x01" + bytes(31), id="r=0"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_ecdsa_psychic_signatures_are_refused(start: Any, signature: bytes) -> None:
    """CVE-2022-21449: r = s = 0 verifies nothing (nor do other degenerate values)."""
    client, _, token = await start("ES256")
    header, claims, _ = segments(token)
    await assert_invalid(client, assemble(header, claims, signature))


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS256", "ES384", "PS256"])
async def test_another_algorithm_than_the_configured_one_is_refused(start: Any, alg: str) -> None:
    """alg none, an HMAC, or a neighbouring algorithm, with the genuine kid."""
    client, _, token = await start("ES256")
    header, claims, signature = segments(token)
    tampered = assemble({**header, "alg": alg}, claims)
    await assert_invalid(client, tampered)
    await assert_invalid(client, tampered + signature)


async def test_a_token_of_another_asymmetric_algorithm_is_refused(
    start: Any, tmp_path: Path
) -> None:
    """An EdDSA token is not accepted by an ES256 server, even from the same directory."""
    client, gate, token = await start("ES256")
    _, claims, _ = segments(token)
    other = ed25519.Ed25519PrivateKey.generate()
    kid = gate.service.tokens.keys.signing.kid
    await assert_invalid(client, jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": kid}))


async def test_tampered_claims_are_refused(start: Any) -> None:
    """Changing a claim under the original signature breaks it."""
    client, _, token = await start("EdDSA")
    header, claims, signature = segments(token)
    tampered = assemble(header, {**claims, "sub": "someone-else"})
    await assert_invalid(client, tampered.rsplit(".", 1)[0] + "." + signature)
