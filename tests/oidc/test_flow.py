"""The authorization code flow end to end, with Authlib's client (API.md §3.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from tests.helpers import bearer
from tests.oidc.helpers import (
    ISSUER,
    REDIRECT_URI,
    authorization_url,
    code_for,
    new_client,
    relying_party,
    signed_in_browser,
    token_request,
    verified_id_token,
)


@pytest.fixture
async def provider(app_factory: Any, tmp_path: Path) -> tuple[Any, Any]:
    # The key directory of its own: on PostgreSQL the default is the working directory.
    return await app_factory(public_url=ISSUER, keys_dir=tmp_path / "keys")


async def test_discovery_names_the_endpoints(provider: tuple[Any, Any]) -> None:
    """Discovery: issuer = AUTHGATE_PUBLIC_URL, S256 only, RS256 ID tokens."""
    app, _ = provider
    async with signed_in_browser(app) as browser:
        config = (await browser.get("/.well-known/openid-configuration")).json()
    assert config["issuer"] == ISSUER
    assert config["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert config["authorization_endpoint"] == f"{ISSUER}/oauth/authorize"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]


@pytest.mark.parametrize(
    "public", [pytest.param(False, id="confidential"), pytest.param(True, id="public")]
)
async def test_code_flow_with_authlib(provider: tuple[Any, Any], public: bool) -> None:
    """Authorize, exchange, verify the ID token from the JWKS, userinfo, refresh, revoke."""
    app, gate = provider
    registered = await new_client(gate, public=public)
    async with signed_in_browser(app) as browser, relying_party(app, registered) as rp:
        url, state, verifier = authorization_url(rp)
        location = await code_for(browser, url)
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == [state]
        assert query["iss"] == [ISSUER]
        token = await rp.fetch_token(
            f"{ISSUER}/oauth/token", authorization_response=location, code_verifier=verifier
        )
        claims = await verified_id_token(browser, token["id_token"], registered.client_id)
        me = (await browser.get("/auth/me")).json()
        assert claims["sub"] == me["id"]
        assert claims["nonce"] == "n-0S6_WzA2Mj"
        assert claims["amr"] == ["pwd"]
        assert isinstance(claims["auth_time"], int)
        assert claims["email"] == "alice@example.com"

        info = (await rp.get(f"{ISSUER}/oauth/userinfo")).json()
        assert info == {"sub": me["id"], "email": "alice@example.com", "email_verified": False}

        refreshed = await rp.refresh_token(f"{ISSUER}/oauth/token")
        assert refreshed["refresh_token"] != token["refresh_token"]
        await verified_id_token(browser, refreshed["id_token"], registered.client_id)

        revoked = await rp.revoke_token(f"{ISSUER}/oauth/revoke", token=refreshed["refresh_token"])
        assert revoked.status_code == 200
        again = await token_request(
            app,
            registered,
            {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        )
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"


async def test_oidc_sessions_are_ordinary_sessions(provider: tuple[Any, Any]) -> None:
    """A session opened through a client is listed with the user's, and logout-all ends it."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser, relying_party(app, registered) as rp:
        url, _, verifier = authorization_url(rp)
        location = await code_for(browser, url)
        token = await rp.fetch_token(
            f"{ISSUER}/oauth/token", authorization_response=location, code_verifier=verifier
        )
        listed = (await browser.get("/auth/sessions")).json()
        assert any(s["user_agent"] == "Example RP (OpenID Connect)" for s in listed)
        logout_all = await browser.post("/auth/logout-all", headers=bearer(token["access_token"]))
        assert logout_all.status_code == 204
        refused = await token_request(
            app,
            registered,
            {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        )
        assert refused.json()["error"] == "invalid_grant"
        userinfo = await rp.get(f"{ISSUER}/oauth/userinfo")
        assert userinfo.status_code == 401
        assert userinfo.json()["error"] == "invalid_token"


async def test_signed_out_browser_goes_to_the_sign_in_page(provider: tuple[Any, Any]) -> None:
    """Without authgate's cookie, the user is sent to the web UI with the request."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser, relying_party(app, registered) as rp:
        browser.cookies.clear()
        url, _, _ = authorization_url(rp)
        response = await browser.get(url)
        assert response.status_code == 302
        location = response.headers["location"]
        assert location.startswith("/#/authorize?")
        assert parse_qs(location.split("?", 1)[1])["client_id"] == [registered.client_id]
        none = await browser.get(url + "&prompt=none")
        assert "error=login_required" in none.headers["location"]


async def test_an_id_token_is_not_an_access_token(app_factory: Any, tmp_path: Path) -> None:
    """Under RS256 the ID token's key is the access tokens' own: still, an ID token is
    refused as a bearer token (RFC 8725 §2.8: no substitution of one kind for another)."""
    app, gate = await app_factory(public_url=ISSUER, keys_dir=tmp_path / "keys", algorithm="RS256")
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser, relying_party(app, registered) as rp:
        url, _, verifier = authorization_url(rp)
        location = await code_for(browser, url)
        token = await rp.fetch_token(
            f"{ISSUER}/oauth/token", authorization_response=location, code_verifier=verifier
        )
        header = jwt.get_unverified_header(token["id_token"])
        assert header["kid"] == jwt.get_unverified_header(token["access_token"])["kid"]
        browser.cookies.clear()
        for path in ("/auth/me", "/oauth/userinfo"):
            refused = await browser.get(path, headers=bearer(token["id_token"]))
            assert refused.status_code == 401, path


async def test_third_party_consent_once_then_revoked(provider: tuple[Any, Any]) -> None:
    """A client not first-party sends the user to the consent page; once allowed, the
    next request goes straight through; revoking it ends the app's sessions and asks
    again; a denial returns access_denied."""
    app, gate = provider
    registered = await new_client(gate, first_party=False)
    async with signed_in_browser(app) as browser, relying_party(app, registered) as rp:
        csrf = next(v for k, v in browser.cookies.items() if k.endswith("csrf_token"))
        headers = {"X-CSRF-Token": csrf, "Origin": ISSUER}
        url, _, verifier = authorization_url(rp)
        asked = await browser.get(url)
        assert asked.headers["location"].startswith("/#/consent?")
        query = urlsplit(url).query
        decided = await browser.post(
            "/auth/consents", json={"request": query, "allow": True}, headers=headers
        )
        assert decided.status_code == 200, decided.text
        location = await code_for(browser, decided.json()["redirect_to"])
        token = await rp.fetch_token(
            f"{ISSUER}/oauth/token", authorization_response=location, code_verifier=verifier
        )
        again, _, _ = authorization_url(rp)
        assert (await browser.get(again)).headers["location"].startswith(REDIRECT_URI)

        (consent,) = (await browser.get("/auth/consents")).json()
        assert consent["client_id"] == registered.client_id and consent["scope"] == "email openid"
        assert (
            await browser.delete(f"/auth/consents/{registered.client_id}", headers=headers)
        ).status_code == 204
        refused = await token_request(
            app,
            registered,
            {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        )
        assert refused.json()["error"] == "invalid_grant"
        fresh, _, _ = authorization_url(rp)
        assert (await browser.get(fresh)).headers["location"].startswith("/#/consent?")
        denied = await browser.post(
            "/auth/consents",
            json={"request": urlsplit(fresh).query, "allow": False},
            headers=headers,
        )
        assert "error=access_denied" in denied.json()["redirect_to"]
        assert denied.json()["redirect_to"].startswith(REDIRECT_URI)
