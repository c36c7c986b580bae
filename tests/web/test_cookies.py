"""Cookie transport (API.md §3): attributes, CSRF double-submit, header precedence."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD, bearer, register

CREDS = {"email": "alice@example.com", "password": PASSWORD}


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Raw Set-Cookie lines by cookie name."""
    lines = response.headers.get_list("set-cookie")
    return {line.split("=", 1)[0]: line for line in lines}


def attributes(line: str) -> dict[str, str]:
    parsed: SimpleCookie = SimpleCookie()
    parsed.load(line)
    morsel = next(iter(parsed.values()))
    return {k: str(v) for k, v in morsel.items() if v}


async def cookie_login(client: httpx.AsyncClient) -> httpx.Response:
    await register(client, CREDS["email"])
    response = await client.post("/auth/login?transport=cookie", json=CREDS)
    assert response.status_code == 200, response.text
    return response


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["csrf_token"]}


async def test_cookie_login_sets_the_three_cookies(client: httpx.AsyncClient) -> None:
    """access (HttpOnly, Path=/), refresh (HttpOnly, Path=/auth), csrf (readable),
    all Secure and SameSite=Strict; no token in the body."""
    response = await cookie_login(client)
    body = response.json()
    assert body == {"token_type": "bearer", "expires_in": 900}
    assert response.headers["cache-control"] == "no-store"
    cookies = set_cookies(response)
    assert set(cookies) == {"access_token", "refresh_token", "csrf_token"}
    access, refresh, token = (
        attributes(cookies[name]) for name in ("access_token", "refresh_token", "csrf_token")
    )
    assert access["path"] == "/" and access["max-age"] == "900"
    assert refresh["path"] == "/auth" and refresh["max-age"] == str(7 * 86400)
    assert token["path"] == "/"
    for name in ("access_token", "refresh_token"):
        assert "HttpOnly" in cookies[name]
    assert "HttpOnly" not in cookies["csrf_token"]
    for line in cookies.values():
        assert "Secure" in line
        assert "SameSite=Strict" in line


async def test_without_the_query_login_answers_in_the_body(client: httpx.AsyncClient) -> None:
    """With transport=both, a plain login gets tokens in the body and no cookie."""
    await register(client, CREDS["email"])
    response = await client.post("/auth/login", json=CREDS)
    assert "access_token" in response.json()
    assert response.headers.get_list("set-cookie") == []


async def test_cookie_authenticates_and_csrf_guards_unsafe_methods(
    client: httpx.AsyncClient,
) -> None:
    """GET needs only the cookie; POST needs X-CSRF-Token equal to the csrf cookie."""
    await cookie_login(client)
    assert (await client.get("/plans")).status_code == 200
    missing = await client.post("/plans", json={"title": "x"})
    assert missing.status_code == 403
    assert missing.json()["code"] == "csrf_failed"
    wrong = await client.post("/plans", json={"title": "x"}, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "csrf_failed"
    right = await client.post("/plans", json={"title": "x"}, headers=csrf(client))
    assert right.status_code == 201


async def test_the_header_wins_over_the_cookie(client: httpx.AsyncClient) -> None:
    """With both present, the Authorization header is judged (and a bad one fails)."""
    await cookie_login(client)
    response = await client.get("/plans", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    basic = await client.get("/plans", headers={"Authorization": "Basic eDp5"})
    assert basic.json()["code"] == "token_missing"


async def test_bearer_requests_need_no_csrf(client: httpx.AsyncClient) -> None:
    """CSRF protects cookies only: a Bearer POST with a stray cookie jar passes."""
    await register(client, CREDS["email"])
    tokens = (await client.post("/auth/login", json=CREDS)).json()
    response = await client.post(
        "/plans", json={"title": "x"}, headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 201


async def test_cookie_refresh_renews_all_cookies(client: httpx.AsyncClient) -> None:
    """Refresh with the refresh cookie (and CSRF) answers new cookies, including a
    new csrf token; without the CSRF header it is refused."""
    await cookie_login(client)
    old_csrf = client.cookies["csrf_token"]
    refused = await client.post("/auth/refresh")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    response = await client.post("/auth/refresh?transport=cookie", headers=csrf(client))
    assert response.status_code == 200
    assert "refresh_token" not in response.json()
    assert set(set_cookies(response)) == {"access_token", "refresh_token", "csrf_token"}
    assert client.cookies["csrf_token"] != old_csrf
    assert (await client.get("/plans")).status_code == 200


async def test_a_cookie_refresh_without_the_query_answers_in_the_body(
    client: httpx.AsyncClient,
) -> None:
    """API.md, transport ``both``: each refresh chooses, whichever way its refresh
    token came: without ``?transport=cookie`` the tokens are in the body and no
    cookie is set (the client now holds the session's only current refresh token)."""
    await cookie_login(client)
    response = await client.post("/auth/refresh", headers=csrf(client))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    renewed = await client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert renewed.status_code == 200


async def test_logout_clears_the_cookies(client: httpx.AsyncClient) -> None:
    """Logout answers 204 and expires all three cookies; the old cookie is revoked."""
    await cookie_login(client)
    access = client.cookies["access_token"]
    response = await client.post("/auth/logout", headers=csrf(client))
    assert response.status_code == 204
    cleared = set_cookies(response)
    assert set(cleared) == {"access_token", "refresh_token", "csrf_token"}
    for line in cleared.values():
        assert "Max-Age=0" in line
    assert (await client.get("/plans", headers=bearer(access))).json()["code"] == "token_revoked"


async def test_logout_via_cookie_needs_csrf(client: httpx.AsyncClient) -> None:
    """A cross-site logout (no CSRF header) is refused."""
    await cookie_login(client)
    response = await client.post("/auth/logout")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


async def test_a_planted_csrf_cookie_is_refused(client: httpx.AsyncClient) -> None:
    """A csrf cookie set by someone else (a sibling subdomain, a man in the middle on
    http) and echoed in the header is not the session's: 403, on a protected route
    and on the cookie refresh."""
    await cookie_login(client)
    client.cookies.set("csrf_token", "planted-by-an-attacker")
    planted = {"X-CSRF-Token": "planted-by-an-attacker"}
    for response in (
        await client.post("/plans", json={"title": "x"}, headers=planted),
        await client.post("/auth/refresh?transport=cookie", headers=planted),
        await client.post("/auth/logout", headers=planted),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "csrf_failed"


async def test_only_the_current_csrf_token_is_accepted(client: httpx.AsyncClient) -> None:
    """After a refresh, the previous csrf value (even echoed with a matching cookie)
    is refused; the renewed one works (API.md: "its current value")."""
    await cookie_login(client)
    old = client.cookies["csrf_token"]
    refreshed = await client.post("/auth/refresh?transport=cookie", headers=csrf(client))
    assert refreshed.status_code == 200
    new = client.cookies["csrf_token"]
    assert new != old
    client.cookies.set("csrf_token", old)
    stale = await client.post("/plans", json={"title": "x"}, headers={"X-CSRF-Token": old})
    assert stale.status_code == 403
    assert stale.json()["code"] == "csrf_failed"
    client.cookies.set("csrf_token", new)
    fresh = await client.post("/plans", json={"title": "x"}, headers={"X-CSRF-Token": new})
    assert fresh.status_code == 201


async def test_a_bearer_logout_leaves_another_sessions_cookies(
    client: httpx.AsyncClient,
) -> None:
    """The header is judged: logging out the bearer session must not expire the
    cookies, which belong to another session that stays signed in."""
    await cookie_login(client)
    tokens = (await client.post("/auth/login", json=CREDS)).json()
    for path in ("/auth/logout", "/auth/logout-all"):
        response = await client.post(path, headers=bearer(tokens["access_token"]))
        assert response.status_code == 204
        assert response.headers.get_list("set-cookie") == []
        tokens = (await client.post("/auth/login", json=CREDS)).json()
    # logout-all revoked the cookie session too, but its cookies are the page's to drop


@pytest.mark.parametrize("transport", ["cookie", "bearer"])
async def test_transport_setting(app_factory: Any, transport: str) -> None:
    """AUTHGATE_TOKEN_TRANSPORT=cookie always answers cookies; =bearer never does and
    ignores cookies."""
    app, _ = await app_factory(token_transport=transport)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://t"
    ) as client:
        await register(client, CREDS["email"])
        response = await client.post("/auth/login?transport=cookie", json=CREDS)
        has_cookies = bool(response.headers.get_list("set-cookie"))
        assert has_cookies is (transport == "cookie")
        assert ("access_token" in response.json()) is (transport == "bearer")
        if transport == "bearer":
            client.cookies.set("access_token", response.json()["access_token"])
            assert (await client.get("/plans")).json()["code"] == "token_missing"
        else:
            assert (await client.get("/plans")).status_code == 200


async def test_insecure_cookies_for_local_development(app_factory: Any) -> None:
    """AUTHGATE_COOKIE_SECURE=false drops the Secure attribute, nothing else."""
    app, _ = await app_factory(cookie_secure=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        await register(client, CREDS["email"])
        response = await client.post("/auth/login?transport=cookie", json=CREDS)
        for line in set_cookies(response).values():
            assert "Secure" not in line
            assert "SameSite=Strict" in line
        assert (await client.get("/plans")).status_code == 200


@pytest.mark.parametrize(
    ("profile", "access", "refresh"),
    [("web", 900, 604800), ("sensitive", 300, 3600), ("mobile", 3600, 2592000)],
)
async def test_profiles(app_factory: Any, profile: str, access: int, refresh: int) -> None:
    """Each profile's lifetimes show in expires_in and the cookies' max-age."""
    app, _ = await app_factory(profile=profile)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://t"
    ) as client:
        await register(client, CREDS["email"])
        response = await client.post("/auth/login?transport=cookie", json=CREDS)
        assert response.json()["expires_in"] == access
        cookies = set_cookies(response)
        assert f"Max-Age={access}" in cookies["access_token"]
        assert f"Max-Age={refresh}" in cookies["refresh_token"]


async def test_ttl_overrides(app_factory: Any) -> None:
    """AUTHGATE_ACCESS_TTL / REFRESH_TTL accept 15m / 7d / seconds forms."""
    app, _ = await app_factory(access_ttl="2m", refresh_ttl="1d")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://t"
    ) as client:
        await register(client, CREDS["email"])
        response = await client.post("/auth/login?transport=cookie", json=CREDS)
        assert response.json()["expires_in"] == 120
        assert "Max-Age=86400" in set_cookies(response)["refresh_token"]
