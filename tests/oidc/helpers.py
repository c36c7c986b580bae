"""Helpers of the OpenID provider tests: a signed-in browser, a registered client,
an Authlib relying party, and ID token checks against the JWKS."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.helpers import PASSWORD, register

ISSUER = "https://testserver"
REDIRECT_URI = "https://rp.example/callback"


@dataclass
class Registered:
    client_id: str
    secret: str | None


async def new_client(
    gate: Any, *, public: bool = False, first_party: bool = True, uris: tuple[str, ...] = ()
) -> Registered:
    client, secret = await gate.runtime.oidc_clients.create(
        "Example RP", uris or (REDIRECT_URI,), public=public, first_party=first_party
    )
    return Registered(client.id, secret)


@contextlib.asynccontextmanager
async def signed_in_browser(
    app: Any, email: str = "alice@example.com"
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client holding authgate's cookies, as a browser signed in to its pages."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
        base_url=ISSUER,
        follow_redirects=False,
    ) as browser:
        await register(browser, email)
        response = await browser.post(
            "/auth/login",
            params={"transport": "cookie"},
            json={"email": email, "password": PASSWORD},
            headers={"Origin": ISSUER},
        )
        assert response.status_code == 200, response.text
        yield browser


def relying_party(app: Any, registered: Registered, **extra: Any) -> AsyncOAuth2Client:
    """Authlib's httpx client for ``registered``, talking to the ASGI app."""
    return AsyncOAuth2Client(
        client_id=registered.client_id,
        client_secret=registered.secret,
        scope="openid email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="none" if registered.secret is None else "client_secret_basic",
        transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 40000)),
        base_url=ISSUER,
        **extra,
    )


def authorization_url(rp: AsyncOAuth2Client, **params: Any) -> tuple[str, str, str]:
    """The authorization URL, with its state and PKCE verifier (and a nonce)."""
    verifier = generate_token(48)
    url, state = rp.create_authorization_url(
        f"{ISSUER}/oauth/authorize", code_verifier=verifier, nonce="n-0S6_WzA2Mj", **params
    )
    return url, state, verifier


def challenge_of(verifier: str) -> str:
    return str(create_s256_code_challenge(verifier))


async def code_for(browser: httpx.AsyncClient, url: str) -> str:
    """Follow the authorization URL as the signed-in browser; the redirect it ends at."""
    response = await browser.get(url)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI), location
    return location


async def verified_id_token(client: httpx.AsyncClient, id_token: str, audience: str) -> Any:
    """The ID token's claims, verified with the key the JWKS publishes for its kid."""
    jwks = (await client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(id_token)
    assert header["alg"] == "RS256"
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    return jwt.decode(id_token, key.key, algorithms=["RS256"], audience=audience, issuer=ISSUER)


async def token_request(app: Any, registered: Registered, data: dict[str, str]) -> httpx.Response:
    """A raw POST /oauth/token with the client's own authentication (Basic, or the
    client_id alone for a public client)."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        if registered.secret is None:
            return await http.post("/oauth/token", data={**data, "client_id": registered.client_id})
        auth = httpx.BasicAuth(registered.client_id, registered.secret)
        return await http.post("/oauth/token", data=data, auth=auth)
