"""Forged, tampered and malformed access tokens: 401 with the code API.md names.

Each case is a known JWT attack or pitfall (RFC 8725; PyJWT advisories); the
server must refuse it without ever answering 500.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from authgate.core.tokens import MAX_NUMERIC_DATE
from tests.conftest import SECRET
from tests.helpers import b64url, bearer, claims_of, forge, signed_up

HS256 = {"alg": "HS256", "typ": "JWT"}


async def _claims(client: httpx.AsyncClient) -> dict[str, Any]:
    token = (await signed_up(client))["access_token"]
    return claims_of(token)


async def _status(client: httpx.AsyncClient, token: str) -> tuple[int, str, str]:
    response = await client.get("/plans", headers=bearer(token))
    body = response.json()
    code = body["code"] if isinstance(body, dict) else ""
    return response.status_code, code, response.headers.get("www-authenticate", "")


async def test_a_genuine_token_passes(client: httpx.AsyncClient) -> None:
    """Control: the forging helper with the real secret makes a token that works."""
    claims = await _claims(client)
    assert (await _status(client, forge(HS256, claims, SECRET)))[0] == 200


@pytest.mark.parametrize(
    ("header", "change", "key"),
    [
        pytest.param({"alg": "none", "typ": "JWT"}, {}, None, id="alg-none"),
        pytest.param({"alg": "None"}, {}, None, id="alg-None"),
        pytest.param({"alg": "HS512", "typ": "JWT"}, {}, SECRET, id="other-hmac-alg"),
        pytest.param({"alg": "RS256", "typ": "JWT"}, {}, SECRET, id="rs256-header"),
        pytest.param(HS256, {}, "another-secret-of-sufficient-length!!", id="wrong-secret"),
        pytest.param(HS256, {"exp": None}, SECRET, id="no-exp"),
        pytest.param(HS256, {"exp": "STR"}, SECRET, id="exp-as-string"),
        pytest.param(HS256, {"exp": True}, SECRET, id="exp-as-bool"),
        pytest.param(HS256, {"iat": None}, SECRET, id="no-iat"),
        pytest.param(HS256, {"nbf": "FUTURE"}, SECRET, id="future-nbf"),
        pytest.param(HS256, {"iat": "FUTURE"}, SECRET, id="future-iat"),
        pytest.param(HS256, {"sub": 42}, SECRET, id="sub-not-string"),
        pytest.param(HS256, {"sub": None}, SECRET, id="no-sub"),
        pytest.param({**HS256, "jku": "https://evil.example/jwks.json"}, {}, SECRET, id="jku"),
        pytest.param({**HS256, "x5u": "https://evil.example/cert.pem"}, {}, SECRET, id="x5u"),
        pytest.param(
            {**HS256, "jwk": {"kty": "oct", "k": b64url(b"attacker")}}, {}, SECRET, id="jwk"
        ),
        pytest.param({**HS256, "crit": ["exp"]}, {}, SECRET, id="crit"),
        pytest.param({**HS256, "b64": False}, {}, SECRET, id="b64"),
        pytest.param({**HS256, "kid": "../../etc/passwd"}, {}, SECRET, id="kid-path"),
        pytest.param({**HS256, "kid": "' OR 1=1 --"}, {}, SECRET, id="kid-sql"),
        pytest.param({"alg": "HS256", "typ": "JWE"}, {}, SECRET, id="typ-not-jwt"),
    ],
)
async def test_forged_tokens_are_token_invalid(
    client: httpx.AsyncClient, header: dict[str, Any], change: dict[str, Any], key: str | None
) -> None:
    """Each forged token is 401 token_invalid with an invalid_token challenge."""
    claims = await _claims(client)
    for name, value in change.items():
        if value is None:
            claims.pop(name)
        elif value == "STR":
            claims[name] = str(claims[name])
        elif value == "FUTURE":
            claims[name] = int(time.time()) + 3600
        else:
            claims[name] = value
    status, code, challenge = await _status(client, forge(header, claims, key))
    assert (status, code) == (401, "token_invalid")
    assert challenge.startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("exp", float("inf"), id="exp-infinite"),
        pytest.param("exp", float("nan"), id="exp-nan"),
        pytest.param("exp", 10**30, id="exp-beyond-year-9999"),
        pytest.param("iat", float("-inf"), id="iat-minus-infinite"),
        pytest.param("iat", -1, id="iat-before-1970"),
        pytest.param("nbf", float("nan"), id="nbf-nan"),
    ],
)
async def test_signed_but_impossible_times_are_token_invalid(
    client: httpx.AsyncClient, name: str, value: float
) -> None:
    """Times no clock or column can hold, even under a good signature (a service
    sharing the secret could sign them), are token_invalid, never a 500 — on a read
    and on logout, which stores the token's ``exp``."""
    claims = await _claims(client)
    claims[name] = value
    token = forge(HS256, claims, SECRET)
    assert (await _status(client, token))[:2] == (401, "token_invalid")
    logout = await client.post("/auth/logout", headers=bearer(token))
    assert (logout.status_code, logout.json()["code"]) == (401, "token_invalid")


async def test_the_latest_expiry_a_token_may_have_still_logs_out(
    client: httpx.AsyncClient,
) -> None:
    """``exp`` at the end of year 9999 is a valid token whose revocation is stored."""
    claims = await _claims(client)
    claims["exp"] = MAX_NUMERIC_DATE
    token = forge(HS256, claims, SECRET)
    assert (await _status(client, token))[0] == 200
    assert (await client.post("/auth/logout", headers=bearer(token))).status_code == 204
    assert (await _status(client, token))[:2] == (401, "token_revoked")


async def test_tampered_payload_is_token_invalid(client: httpx.AsyncClient) -> None:
    """Changing the subject without re-signing breaks the signature."""
    token = (await signed_up(client))["access_token"]
    header, _, signature = token.split(".")
    claims = claims_of(token)
    claims["sub"] = "someone-else"
    tampered = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    assert (await _status(client, tampered))[:2] == (401, "token_invalid")


async def test_expired_token_is_token_expired(client: httpx.AsyncClient) -> None:
    """A genuine token past its exp is token_expired, with its own description."""
    claims = await _claims(client)
    claims["exp"] = int(time.time()) - 60
    claims["iat"] = claims["exp"] - 900
    status, code, challenge = await _status(client, forge(HS256, claims, SECRET))
    assert (status, code) == (401, "token_expired")
    assert 'error="invalid_token"' in challenge
    assert "error_description=" in challenge


async def test_expiry_follows_the_clock(client: httpx.AsyncClient, clock: Any) -> None:
    """The token issued at login expires after the access TTL (fake clock, no sleep)."""
    token = (await signed_up(client))["access_token"]
    clock.advance(899)
    assert (await _status(client, token))[0] == 200
    clock.advance(2)
    assert (await _status(client, token))[:2] == (401, "token_expired")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("abc", id="one-part"),
        pytest.param("a.b", id="two-parts"),
        pytest.param("a.b.c.d", id="four-parts"),
        pytest.param("!!!.???.###", id="not-base64"),
        pytest.param(b64url(b"[" * 5000) + ".e30.sig", id="deeply-nested-header"),
        pytest.param(b64url(b'"just a string"') + ".e30.sig", id="header-not-object"),
        pytest.param(b64url(b"\xff\xfe") + ".e30.sig", id="header-not-utf8"),
        pytest.param("eyJhbGciOiJIUzI1NiJ9..", id="empty-payload-and-signature"),
    ],
)
async def test_malformed_tokens_are_token_invalid(client: httpx.AsyncClient, token: str) -> None:
    """Garbage in the token position is token_invalid, never a 500."""
    assert (await _status(client, token))[:2] == (401, "token_invalid")


async def test_a_refresh_token_is_not_an_access_token(client: httpx.AsyncClient) -> None:
    """The opaque refresh token is refused on protected routes."""
    refresh = (await signed_up(client))["refresh_token"]
    assert (await _status(client, refresh))[:2] == (401, "token_invalid")


async def test_payload_that_is_not_an_object_is_refused(client: httpx.AsyncClient) -> None:
    """A genuine signature over a JSON array payload is still token_invalid."""
    await signed_up(client)
    signing_input = b64url(b'{"alg":"HS256","typ":"JWT"}') + "." + b64url(b"[1,2,3]")
    import hashlib
    import hmac

    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + b64url(signature)
    assert (await _status(client, token))[:2] == (401, "token_invalid")


async def test_wrong_issuer_and_audience_are_refused(app_factory: Any) -> None:
    """With AUTHGATE_ISSUER/AUDIENCE set, tokens must carry exactly them."""
    app, _ = await app_factory(issuer="https://auth.example", audience="plans-api")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
        claims = await _claims(client)
        assert claims["iss"] == "https://auth.example"
        assert claims["aud"] == "plans-api"
        assert (await _status(client, forge(HS256, claims, SECRET)))[0] == 200
        for change in ({"iss": "https://evil.example"}, {"aud": "other"}, {"aud": None}):
            forged = {**claims, **change}
            if change.get("aud", "") is None:
                forged.pop("aud")
            assert (await _status(client, forge(HS256, forged, SECRET)))[:2] == (
                401,
                "token_invalid",
            )


async def test_a_genuine_token_for_an_account_that_does_not_exist(
    client: httpx.AsyncClient,
) -> None:
    """Signed with the real key, but for an id never registered (an account deleted
    from the database, or a database reset under the same key): token_invalid where
    the account is needed, never a 500; reads of its (empty) data stay harmless."""
    claims = {**(await _claims(client)), "sub": "00000000-0000-4000-8000-00000000dead"}
    headers = bearer(forge(HS256, claims, SECRET))
    for method, path, body in (
        ("GET", "/auth/me", None),
        ("POST", "/plans", {"title": "x"}),
        ("POST", "/auth/password", {"current_password": "whatever1", "new_password": "x" * 12}),
    ):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["code"] == "token_invalid"
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert (await client.get("/plans", headers=headers)).json() == []
