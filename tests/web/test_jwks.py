"""``/.well-known/jwks.json`` and key rotation, seen through the HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from authgate.storage.keyfiles import KeyDirectory
from authgate.storage.keysource import CHECK_INTERVAL
from tests.conftest import FakeClock
from tests.helpers import bearer, login, signed_up

PUBLIC_MEMBERS = {
    "EdDSA": {"kty", "crv", "x", "kid", "alg", "use"},
    "ES256": {"kty", "crv", "x", "y", "kid", "alg", "use"},
    "RS256": {"kty", "n", "e", "kid", "alg", "use"},
}


@pytest.fixture
async def server(
    app_factory: Callable[..., Any], tmp_path: Path
) -> AsyncIterator[Callable[..., Any]]:
    clients: list[httpx.AsyncClient] = []

    async def start(algorithm: str, **overrides: Any) -> tuple[httpx.AsyncClient, Any]:
        app, gate = await app_factory(algorithm=algorithm, keys_dir=tmp_path / "keys", **overrides)
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="https://testserver")
        clients.append(client)
        return client, gate

    yield start
    for client in clients:
        await client.aclose()


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def kids(client: httpx.AsyncClient) -> list[str]:
    return [key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]]


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
async def test_jwks_publishes_the_public_key_that_signs(server: Any, algorithm: str) -> None:
    """kid, kty, alg, use=sig and the public members only; the token's kid is the key's."""
    client, _ = await server(algorithm)
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert set(key) == PUBLIC_MEMBERS[algorithm]
    assert key["alg"] == algorithm and key["use"] == "sig"
    token = (await signed_up(client))["access_token"]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": algorithm, "typ": "JWT", "kid": key["kid"]}


async def test_jwks_may_be_cached_publicly(server: Any) -> None:
    """Verifiers may cache the key set (Cache-Control: public, max-age)."""
    client, _ = await server("ES256")
    response = await client.get("/.well-known/jwks.json")
    directives = [d.strip() for d in response.headers["cache-control"].split(",")]
    assert "public" in directives
    assert any(d.startswith("max-age=") and int(d[8:]) > 0 for d in directives)


async def test_a_token_verifies_with_the_published_key_alone(server: Any) -> None:
    """Any JOSE library can verify with nothing but the JWKS (PyJWT here)."""
    client, _ = await server("EdDSA")
    token = (await signed_up(client))["access_token"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    key = jwt.PyJWKSet.from_dict(jwks)[kid_of(token)]
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"])
    assert claims["email"] == "alice@example.com"


async def test_rotation_over_the_old_keys_lifetime(
    server: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """After a rotation by another process: new tokens carry the new kid, the old token
    keeps working until it expires, and the JWKS lists both keys, then only the new one."""
    client, gate = await server("ES256", access_ttl=300)
    window = 300 + gate.settings.leeway
    old_token = (await signed_up(client))["access_token"]
    (old_kid,) = await kids(client)
    assert kid_of(old_token) == old_kid

    clock.advance(30)
    new = KeyDirectory(tmp_path / "keys").add_key(
        "ES256", clock(), window=window, replace_current=True
    )
    clock.advance(CHECK_INTERVAL)
    new_token = (await login(client, "alice@example.com"))["access_token"]
    assert kid_of(new_token) == new.kid
    assert await kids(client) == [new.kid, old_kid]
    for token in (old_token, new_token):
        assert (await client.get("/auth/me", headers=bearer(token))).status_code == 200

    clock.advance(300 - 30 - CHECK_INTERVAL)  # the old token's exp
    expired = await client.get("/auth/me", headers=bearer(old_token))
    assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
    assert await kids(client) == [new.kid, old_kid]

    clock.advance(30 + gate.settings.leeway)  # retired + TTL + leeway
    assert await kids(client) == [new.kid]
    fresh = (await login(client, "alice@example.com"))["access_token"]
    assert kid_of(fresh) == new.kid
    assert (await client.get("/auth/me", headers=bearer(fresh))).status_code == 200
