"""The browser rules of the cookie transport (API.md §3 "Cookie transport"): what a
page's script, another site, or a sibling subdomain could do with the cookies.

The client is at https://testserver, so the cookies are Secure and prefixed. Each
test failed on the code before the rule was enforced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from authgate.core.csrf import access_token_id, csrf_token
from tests.helpers import PASSWORD, register

ALICE = {"email": "alice@example.com", "password": PASSWORD}
MALLORY = {"email": "mallory@example.com", "password": PASSWORD}
PREFIXED = {"__Host-access_token", "__Secure-refresh_token", "__Host-csrf_token"}
#: How a browser marks a request another site's page made: a foreign Origin, the
#: opaque origin of a sandboxed frame or a redirect, or Fetch Metadata alone.
FROM_ANOTHER_SITE = [
    pytest.param({"Origin": "https://evil.example"}, id="foreign-origin"),
    pytest.param({"Origin": "https://sibling.testserver"}, id="sibling-subdomain-origin"),
    pytest.param({"Origin": "http://testserver"}, id="same-host-plain-http"),
    pytest.param({"Origin": "null"}, id="origin-null"),
    pytest.param({"Sec-Fetch-Site": "cross-site"}, id="sec-fetch-site"),
]


def cookie_names(response: httpx.Response) -> set[str]:
    return {line.split("=", 1)[0] for line in response.headers.get_list("set-cookie")}


async def cookie_login(client: httpx.AsyncClient, creds: dict[str, str] = ALICE) -> None:
    await register(client, creds["email"], creds["password"])
    response = await client.post("/auth/login?transport=cookie", json=creds)
    assert response.status_code == 200, response.text


def csrf_echo(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["__Host-csrf_token"]}


def assert_csrf_failed(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "csrf_failed"
    assert response.headers.get_list("set-cookie") == []


@pytest.fixture
async def cookie_only(app_factory: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    """A server with AUTHGATE_TOKEN_TRANSPORT=cookie."""
    app, _ = await app_factory(token_transport="cookie")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


# -- a refresh by cookie is answered in cookies ----------------------------------------


@pytest.mark.parametrize("query", ["", "?transport=bearer", "?transport=body"])
async def test_page_script_cannot_trade_refresh_cookie_for_tokens(
    client: httpx.AsyncClient, query: str
) -> None:
    """A script on the page (an XSS, a compromised dependency) can read the CSRF
    cookie and send the HttpOnly refresh cookie with fetch(); without the
    ``?transport=cookie`` the refresh used to answer the tokens in the body, handing
    the script a refresh token to use from anywhere. It is answered in cookies."""
    await cookie_login(client)
    response = await client.post(f"/auth/refresh{query}", headers=csrf_echo(client))
    assert response.status_code == 200, response.text
    assert response.json() == {"token_type": "bearer", "expires_in": 900}
    assert cookie_names(response) == PREFIXED


# -- the cookie prefixes -----------------------------------------------------------------


async def test_session_cookies_carry_prefixes_no_sibling_subdomain_can_set(
    client: httpx.AsyncClient,
) -> None:
    """A sibling subdomain (or a man in the middle on plain http) can set a cookie
    for the whole domain and shadow the session's; the browser lets no one but this
    host, over https, set a ``__Host-`` cookie, nor a ``__Secure-`` one over http."""
    await register(client, ALICE["email"])
    response = await client.post("/auth/login?transport=cookie", json=ALICE)
    lines = {line.split("=", 1)[0]: line for line in response.headers.get_list("set-cookie")}
    assert set(lines) == PREFIXED
    for name, line in lines.items():
        assert "; Secure" in line, name
        assert "domain=" not in line.lower(), name
    assert "Path=/;" in lines["__Host-access_token"] + ";"
    assert "Path=/;" in lines["__Host-csrf_token"] + ";"
    assert "Path=/auth" in lines["__Secure-refresh_token"]


async def test_sibling_subdomain_cookie_without_prefix_is_ignored(
    client: httpx.AsyncClient,
) -> None:
    """Login fixation from a sibling subdomain: Mallory signs in to her own account
    and, from evil.example.com, sets her cookies under the plain names for the whole
    domain in Alice's browser. With Secure cookies those names are never read, so
    Alice's browser is not signed in as Mallory (nor refreshed into her session)."""
    await register(client, MALLORY["email"])
    mallory = (await client.post("/auth/login", json=MALLORY)).json()
    assert not client.cookies  # (the login answered in the body)
    client.cookies.set("access_token", mallory["access_token"])
    missing = await client.get("/auth/me")
    assert missing.status_code == 401
    assert missing.json()["code"] == "token_missing"

    # The planted refresh cookie, with the CSRF value Mallory derives from it.
    planted_csrf = csrf_token(access_token_id(mallory["refresh_token"]))
    client.cookies.set("refresh_token", mallory["refresh_token"])
    client.cookies.set("csrf_token", planted_csrf)
    refresh = await client.post("/auth/refresh", headers={"X-CSRF-Token": planted_csrf})
    assert refresh.status_code == 401
    assert refresh.json()["code"] == "refresh_invalid"
    assert refresh.headers.get_list("set-cookie") == []


# -- cross-site requests -----------------------------------------------------------------


@pytest.mark.parametrize("site", FROM_ANOTHER_SITE)
async def test_login_csrf_from_another_site_is_refused(
    client: httpx.AsyncClient, site: dict[str, str]
) -> None:
    """Login CSRF: another site's page auto-submits a form to
    ``/auth/login?transport=cookie`` with the attacker's credentials; the victim's
    browser would be signed in to the attacker's account (and type their secrets
    into it). Refused before the password is even checked."""
    await register(client, MALLORY["email"])
    form = {"username": MALLORY["email"], "password": MALLORY["password"]}
    response = await client.post("/auth/login?transport=cookie", data=form, headers=site)
    assert_csrf_failed(response)


@pytest.mark.parametrize("site", FROM_ANOTHER_SITE)
async def test_login_csrf_is_refused_under_transport_cookie(
    cookie_only: httpx.AsyncClient, site: dict[str, str]
) -> None:
    """Under AUTHGATE_TOKEN_TRANSPORT=cookie every login answers in cookies, so a
    cross-site form needs no query string at all."""
    await register(cookie_only, MALLORY["email"])
    form = {"username": MALLORY["email"], "password": MALLORY["password"]}
    assert_csrf_failed(await cookie_only.post("/auth/login", data=form, headers=site))


@pytest.mark.parametrize("site", FROM_ANOTHER_SITE)
async def test_cross_site_cookie_post_is_refused(
    client: httpx.AsyncClient, site: dict[str, str]
) -> None:
    """Another site's request carrying the session cookies is refused even with the
    right CSRF echo (a leaked or stolen value, a same-site sibling that read it):
    the origin check stands on its own. The same request from the page itself
    passes."""
    await cookie_login(client)
    for method, path, body in (
        ("POST", "/plans", {"title": "from evil.example"}),
        ("PATCH", "/plans/1", {"done": True}),
        ("DELETE", "/plans/1", None),
        ("POST", "/auth/password", {"current_password": PASSWORD, "new_password": "pwned!!!1"}),
    ):
        response = await client.request(
            method, path, json=body, headers={**csrf_echo(client), **site}
        )
        assert_csrf_failed(response)
    ours = await client.post(
        "/plans",
        json={"title": "mine"},
        headers={**csrf_echo(client), "Origin": "https://testserver"},
    )
    assert ours.status_code == 201


@pytest.mark.parametrize("site", FROM_ANOTHER_SITE)
async def test_cross_site_refresh_and_logout_by_cookie_are_refused(
    client: httpx.AsyncClient, site: dict[str, str]
) -> None:
    """A cross-site refresh by cookie (rotating the session under the user's feet)
    and a cross-site logout are refused; the session is untouched."""
    await cookie_login(client)
    for path in ("/auth/refresh", "/auth/refresh?transport=cookie", "/auth/logout"):
        response = await client.post(path, headers={**csrf_echo(client), **site})
        assert_csrf_failed(response)
    assert (await client.get("/auth/me")).status_code == 200
    refreshed = await client.post("/auth/refresh", headers=csrf_echo(client))
    assert refreshed.status_code == 200
