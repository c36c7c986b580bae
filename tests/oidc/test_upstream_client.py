"""The network side of sign-in through other providers (authgate.upstream), against
providers played by httpx.MockTransport: Google-like OpenID discovery with an RS256
ID token checked from the JWKS, and GitHub's OAuth 2.0 with its user API."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authgate.core import jose
from authgate.core.upstream_settings import parse_providers
from authgate.upstream import Upstream, UpstreamFailed

ISSUER = "https://accounts.google.com"
KEY = jose.SigningKey("RS256", "k1", jose.new_private_key("RS256"))
REDIRECT = "https://auth.example.com/auth/oidc/google/callback"
PROVIDERS = parse_providers(
    {"google": {"client_id": "rp", "client_secret": "s3"}, "github": {"client_id": "gh"}}
)


def google(claims: dict[str, Any], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/o/oauth2/v2/auth",
                    "token_endpoint": "https://oauth2.googleapis.com/token",
                    "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if path == "/oauth2/v3/certs":
            return httpx.Response(200, json={"keys": [jose.public_jwk(KEY)]})
        if path == "/token":
            return httpx.Response(
                200, json={"access_token": "at", "id_token": jose.sign(claims, KEY)}
            )
        return httpx.Response(404)

    return httpx.MockTransport(handle)


def id_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": "rp",
        "sub": "g-123",
        "iat": now,
        "exp": now + 300,
        "nonce": "n1",
        "email": "Alice@Example.com",
        "email_verified": True,
    }
    return {**base, **changes}


async def test_google_like_sign_in_checks_the_id_token() -> None:
    """Discovery, the authorization URL (state, nonce, PKCE S256), the exchange with
    the verifier and the secret, the ID token verified from the JWKS."""
    seen: list[httpx.Request] = []
    upstream = Upstream(leeway=10, transport=google(id_claims(), seen))
    url = await upstream.authorization_url(
        PROVIDERS["google"],
        redirect_uri=REDIRECT,
        state="st",
        nonce="n1",
        verifier="v" * 43,
        now=time.time(),
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{ISSUER}/o/oauth2/v2/auth?")
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] == ["n1"]
    assert query["state"] == ["st"] and query["scope"] == ["openid email"]
    identity = await upstream.identity(
        PROVIDERS["google"],
        code="c",
        redirect_uri=REDIRECT,
        verifier="v" * 43,
        nonce="n1",
        now=time.time(),
    )
    assert (identity.subject, identity.email, identity.email_verified) == (
        "g-123",
        "Alice@Example.com",
        True,
    )
    exchange = parse_qs(seen[-2].content.decode())
    assert exchange["code_verifier"] == ["v" * 43] and exchange["client_secret"] == ["s3"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"nonce": "other"}, id="nonce"),
        pytest.param({"aud": "someone-else"}, id="aud"),
        pytest.param({"iss": "https://evil.example"}, id="iss"),
        pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
    ],
)
async def test_a_bad_id_token_fails_the_sign_in(changes: dict[str, Any]) -> None:
    upstream = Upstream(leeway=10, transport=google(id_claims(**changes), []))
    with pytest.raises(UpstreamFailed):
        await upstream.identity(
            PROVIDERS["google"],
            code="c",
            redirect_uri=REDIRECT,
            verifier="v" * 43,
            nonce="n1",
            now=time.time(),
        )


async def test_an_id_token_signed_by_another_key_fails() -> None:
    """The signature is checked against the provider's JWKS."""
    other = jose.SigningKey("RS256", "k1", jose.new_private_key("RS256"))
    transport = google(id_claims(), [])

    def forged(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(
                200, json={"access_token": "at", "id_token": jose.sign(id_claims(), other)}
            )
        return transport.handle_request(request)

    upstream = Upstream(leeway=10, transport=httpx.MockTransport(forged))
    with pytest.raises(UpstreamFailed):
        await upstream.identity(
            PROVIDERS["google"],
            code="c",
            redirect_uri=REDIRECT,
            verifier="v" * 43,
            nonce="n1",
            now=time.time(),
        )


async def test_github_gives_its_user_id_and_primary_email() -> None:
    """GitHub: OAuth 2.0, then /user and /user/emails (the primary one, verified or not)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "github.com":
            return httpx.Response(200, json={"access_token": "gho", "token_type": "bearer"})
        assert request.headers["authorization"] == "Bearer gho"
        if request.url.path == "/user":
            return httpx.Response(200, json={"id": 42, "login": "octocat"})
        emails = [
            {"email": "old@example.com", "primary": False, "verified": True},
            {"email": "octo@example.com", "primary": True, "verified": False},
        ]
        return httpx.Response(200, content=json.dumps(emails))

    upstream = Upstream(leeway=10, transport=httpx.MockTransport(handle))
    url = await upstream.authorization_url(
        PROVIDERS["github"], redirect_uri=REDIRECT, state="st", nonce="n", verifier="v" * 43, now=0
    )
    assert url.startswith("https://github.com/login/oauth/authorize?") and "nonce" not in url
    identity = await upstream.identity(
        PROVIDERS["github"], code="c", redirect_uri=REDIRECT, verifier="v" * 43, nonce="n", now=0
    )
    assert (identity.subject, identity.email, identity.email_verified) == (
        "42",
        "octo@example.com",
        False,
    )


async def test_an_unreachable_provider_is_a_failure_not_a_crash() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    upstream = Upstream(leeway=10, transport=httpx.MockTransport(refuse))
    with pytest.raises(UpstreamFailed):
        await upstream.authorization_url(
            PROVIDERS["google"],
            redirect_uri=REDIRECT,
            state="s",
            nonce="n",
            verifier="v" * 43,
            now=0,
        )
