"""Helpers for the API tests: register, log in, headers."""

from __future__ import annotations

from typing import Any

import httpx

PASSWORD = "correct horse battery"


async def register(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Any:
    response = await client.post("/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return response.json()


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Any:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def signed_up(client: httpx.AsyncClient, email: str = "alice@example.com") -> Any:
    """Register and log in; the token response."""
    await register(client, email)
    return await login(client, email)


async def head_and_get(
    client: httpx.AsyncClient, path: str
) -> tuple[httpx.Response, httpx.Response]:
    """HEAD and GET of ``path``, checked to be 200 both and the HEAD without a body
    (RFC 9110 §9.3.2); the caller compares the headers it cares about."""
    get = await client.get(path)
    head = await client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    return head, get


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | str | None) -> str:
    """A JWS with any header and claims, HMAC-SHA256-signed with ``key`` (or unsigned)."""
    import hashlib
    import hmac
    import json

    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    if key is None:
        return signing_input + "."
    raw_key = key.encode() if isinstance(key, str) else key
    signature = hmac.new(raw_key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def claims_of(token: str) -> dict[str, Any]:
    import jwt

    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims
