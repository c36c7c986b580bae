"""A relying party that signs its users in through authgate with Authlib (OpenID
Connect, authorization code flow with PKCE).

    AUTHGATE_ISSUER=http://127.0.0.1:8000 CLIENT_ID=… CLIENT_SECRET=… python app.py

Register it first (the redirect URI is this app's ``/callback``)::

    authgate client create "Python example" --redirect-uri http://127.0.0.1:5000/callback

Everything protocol-shaped is Authlib's: discovery is one GET of the issuer's
``/.well-known/openid-configuration``; the authorization URL (state, nonce, PKCE
S256), the code exchange and the ID token's checks (signature from the JWKS, iss,
aud, exp, nonce) are the library's. The app keeps each browser's pending sign-in and
then its user in memory, under a random cookie: a demo, not a session store.
"""

from __future__ import annotations

import html
import json
import os
import secrets
from typing import Any

import httpx
import uvicorn
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

ISSUER = os.environ.get("AUTHGATE_ISSUER", "http://127.0.0.1:8000").rstrip("/")
CLIENT_ID = os.environ["CLIENT_ID"]
CLIENT_SECRET = os.environ.get("CLIENT_SECRET") or None
PORT = int(os.environ.get("PORT", "5000"))
REDIRECT_URI = os.environ.get("REDIRECT_URI", f"http://127.0.0.1:{PORT}/callback")
COOKIE = "rp_session"

#: cookie value -> {"pending": {...}} while signing in, then {"user": {...}}.
browsers: dict[str, dict[str, Any]] = {}


async def discovery() -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{ISSUER}/.well-known/openid-configuration")
        response.raise_for_status()
        config: dict[str, Any] = response.json()
    if config["issuer"] != ISSUER:  # OpenID Connect Discovery 1.0 §4.3
        raise RuntimeError(f"issuer mismatch: {config['issuer']!r}")
    return config


def oauth_client() -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scope="openid email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if CLIENT_SECRET else "none",
    )


async def home(request: Request) -> Response:
    state = browsers.get(request.cookies.get(COOKIE, ""), {})
    user = state.get("user")
    if user is None:
        return HTMLResponse('<h1>Example app</h1><p><a href="/login">Sign in with authgate</a></p>')
    shown = html.escape(json.dumps(user, indent=2))
    return HTMLResponse(
        f"<h1>Example app</h1><p>Signed in as {html.escape(user['email'])}</p><pre>{shown}</pre>"
    )


async def login(request: Request) -> Response:
    config = await discovery()
    verifier, nonce = generate_token(48), generate_token(24)
    async with oauth_client() as client:
        url, state = client.create_authorization_url(
            config["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
    key = secrets.token_urlsafe(24)
    browsers[key] = {"pending": {"state": state, "verifier": verifier, "nonce": nonce}}
    response = RedirectResponse(url, 302)
    response.set_cookie(COOKIE, key, httponly=True, samesite="lax")
    return response


async def callback(request: Request) -> Response:
    key = request.cookies.get(COOKIE, "")
    pending = browsers.get(key, {}).get("pending")
    if pending is None or request.query_params.get("state") != pending["state"]:
        return PlainTextResponse("unexpected callback (state)", 400)
    if "error" in request.query_params:
        return PlainTextResponse(f"sign-in refused: {request.query_params['error']}", 403)
    config = await discovery()
    async with oauth_client() as client:
        token = await client.fetch_token(
            config["token_endpoint"],
            authorization_response=str(request.url),
            code_verifier=pending["verifier"],
        )
        jwks = JsonWebKey.import_key_set((await client.get(config["jwks_uri"])).json())
        claims = jwt.decode(
            token["id_token"],
            jwks,
            claims_cls=CodeIDToken,
            claims_options={"iss": {"value": ISSUER}, "aud": {"value": CLIENT_ID}},
            claims_params={"nonce": pending["nonce"], "client_id": CLIENT_ID},
        )
        claims.validate()
        info = (await client.get(config["userinfo_endpoint"])).json()
    if info["sub"] != claims["sub"]:  # OpenID Connect Core §5.3.2
        return PlainTextResponse("userinfo is another user's", 400)
    user = {**info, "amr": claims.get("amr"), "auth_time": claims.get("auth_time")}
    browsers[key] = {"user": user}
    return RedirectResponse("/", 302)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/", home),
        Route("/login", login),
        Route("/callback", callback),
        Route("/healthz", healthz),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
