"""Cookie transport (API.md §3): names, attributes, CSRF double-submit, header precedence.

The client is at https://testserver, so the cookies are Secure and carry the
``__Host-``/``__Secure-`` prefixes; the plain names are for COOKIE_SECURE=false."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD, bearer, register

CREDS = {"email": "alice@example.com", "password": PASSWORD}
ACCESS, REFRESH, CSRF = "__Host-access_token", "__Secure-refresh_token", "__Host-csrf_token"
PREFIXED = {ACCESS, REFRESH, CSRF}
PLAIN = {"access_token", "refresh_token", "csrf_token"}


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
    return {"X-CSRF-Token": client.cookies[CSRF]}


async def test_cookie_login_sets_the_three_cookies(client: httpx.AsyncClient) -> None:
    """access (HttpOnly, Path=/), refresh (HttpOnly, Path=/auth), csrf (readable),
    all Secure and SameSite=Strict, prefixed, without Domain; no token in the body."""
    response = await cookie_login(client)
    body = response.json()
    assert body == {"token_type": "bearer", "expires_in": 900}
    assert response.headers["cache-control"] == "no-store"
    cookies = set_cookies(response)
    assert set(cookies) == PREFIXED
    access, refresh, token = (attributes(cookies[name]) for name in (ACCESS, REFRESH, CSRF))
    assert access["path"] == "/" and access["max-age"] == "900"
    assert refresh["path"] == "/auth" and refresh["max-age"] == str(7 * 86400)
    assert token["path"] == "/"
    for name in (ACCESS, REFRESH):
        assert "HttpOnly" in cookies[name]
    assert "HttpOnly" not in cookies[CSRF]
    for line in cookies.values():
        assert "Secure" in line
        assert "SameSite=Strict" in line
        assert "domain" not in line.lower()


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
    old_csrf = client.cookies[CSRF]
    refused = await client.post("/auth/refresh")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    response = await client.post("/auth/refresh?transport=cookie", headers=csrf(client))
    assert response.status_code == 200
    assert "refresh_token" not in response.json()
    assert set(set_cookies(response)) == PREFIXED
    assert client.cookies[CSRF] != old_csrf
    assert (await client.get("/plans")).status_code == 200


async def test_a_cookie_refresh_always_answers_in_cookies(client: httpx.AsyncClient) -> None:
    """API.md: a refresh that came in the refresh cookie is answered in cookies, with
    or without ``?transport=cookie`` (a script must not trade the cookies for tokens)."""
    await cookie_login(client)
    for path in ("/auth/refresh", "/auth/refresh?transport=body"):
        response = await client.post(path, headers=csrf(client))
        assert response.status_code == 200, response.text
        assert response.json() == {"token_type": "bearer", "expires_in": 900}
        assert set(set_cookies(response)) == PREFIXED
        assert response.headers["cache-control"] == "no-store"
    assert (await client.get("/plans")).status_code == 200


async def test_a_body_refresh_chooses_its_transport(client: httpx.AsyncClient) -> None:
    """Under ``both``, a refresh token sent in the body is answered in the body, or
    in cookies with ``?transport=cookie``."""
    await register(client, CREDS["email"])
    tokens = (await client.post("/auth/login", json=CREDS)).json()
    body = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert body.status_code == 200
    assert set(body.json()) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert "set-cookie" not in body.headers
    in_cookies = await client.post(
        "/auth/refresh?transport=cookie", json={"refresh_token": body.json()["refresh_token"]}
    )
    assert in_cookies.status_code == 200
    assert set(in_cookies.json()) == {"token_type", "expires_in"}
    assert set(set_cookies(in_cookies)) == PREFIXED


async def test_logout_clears_the_cookies(client: httpx.AsyncClient) -> None:
    """Logout answers 204 and expires all three cookies; the old cookie is revoked."""
    await cookie_login(client)
    access = client.cookies[ACCESS]
    response = await client.post("/auth/logout", headers=csrf(client))
    assert response.status_code == 204
    cleared = set_cookies(response)
    assert set(cleared) == PREFIXED
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
    client.cookies.set(CSRF, "planted-by-an-attacker")
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
    old = client.cookies[CSRF]
    refreshed = await client.post("/auth/refresh?transport=cookie", headers=csrf(client))
    assert refreshed.status_code == 200
    new = client.cookies[CSRF]
    assert new != old
    client.cookies.set(CSRF, old)
    stale = await client.post("/plans", json={"title": "x"}, headers={"X-CSRF-Token": old})
    assert stale.status_code == 403
    assert stale.json()["code"] == "csrf_failed"
    client.cookies.set(CSRF, new)
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
            client.cookies.set(ACCESS, response.json()["access_token"])
            assert (await client.get("/plans")).json()["code"] == "token_missing"
        else:
            assert (await client.get("/plans")).status_code == 200


async def test_insecure_cookies_for_local_development(app_factory: Any) -> None:
    """AUTHGATE_COOKIE_SECURE=false drops the Secure attribute and the name prefixes
    (browsers refuse a prefixed cookie without Secure), nothing else; reading,
    renewing and clearing use the plain names too."""
    app, _ = await app_factory(cookie_secure=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        await register(client, CREDS["email"])
        response = await client.post("/auth/login?transport=cookie", json=CREDS)
        assert set(set_cookies(response)) == PLAIN
        for line in set_cookies(response).values():
            assert "Secure" not in line
            assert "SameSite=Strict" in line
        assert (await client.get("/plans")).status_code == 200
        echo = {"X-CSRF-Token": client.cookies["csrf_token"]}
        refreshed = await client.post("/auth/refresh", headers=echo)
        assert refreshed.status_code == 200
        assert set(set_cookies(refreshed)) == PLAIN
        echo = {"X-CSRF-Token": client.cookies["csrf_token"]}
        assert (await client.post("/plans", json={"title": "x"}, headers=echo)).status_code == 201
        logout = await client.post("/auth/logout", headers=echo)
        assert logout.status_code == 204
        assert set(set_cookies(logout)) == PLAIN


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
        assert f"Max-Age={access}" in cookies[ACCESS]
        assert f"Max-Age={refresh}" in cookies[REFRESH]


async def test_ttl_overrides(app_factory: Any) -> None:
    """AUTHGATE_ACCESS_TTL / REFRESH_TTL accept 15m / 7d / seconds forms."""
    app, _ = await app_factory(access_ttl="2m", refresh_ttl="1d")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://t"
    ) as client:
        await register(client, CREDS["email"])
        response = await client.post("/auth/login?transport=cookie", json=CREDS)
        assert response.json()["expires_in"] == 120
        assert "Max-Age=86400" in set_cookies(response)[REFRESH]


# -- where a cookie request may come from (API.md §3; the attacks: tests/security) ----


@pytest.mark.parametrize(
    "site",
    [
        {"Origin": "https://testserver"},
        {"Origin": "https://testserver:443"},
        {"Origin": "http://127.0.0.1:8000"},  # AUTHGATE_PUBLIC_URL's (the default)
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://testserver"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {},  # curl, scripts: no Origin, no Fetch Metadata
    ],
)
async def test_cookie_requests_from_this_site_pass(
    client: httpx.AsyncClient, site: dict[str, str]
) -> None:
    """The server's own origin (default port or not), the public URL's, and requests
    without Origin pass: login, an unsafe request, refresh and logout by cookie."""
    await register(client, CREDS["email"])
    login = await client.post("/auth/login?transport=cookie", json=CREDS, headers=site)
    assert login.status_code == 200, login.text
    post = await client.post("/plans", json={"title": "x"}, headers={**csrf(client), **site})
    assert post.status_code == 201, post.text
    refresh = await client.post("/auth/refresh", headers={**csrf(client), **site})
    assert refresh.status_code == 200, refresh.text
    logout = await client.post("/auth/logout", headers={**csrf(client), **site})
    assert logout.status_code == 204, logout.text


async def test_the_public_url_origin_passes_behind_a_proxy(app_factory: Any) -> None:
    """Behind a proxy that rewrites Host, the page's origin is AUTHGATE_PUBLIC_URL's."""
    app, _ = await app_factory(public_url="https://auth.example.com/")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://10.0.0.5:8000"
    ) as client:
        page = {"Origin": "https://auth.example.com", "Sec-Fetch-Site": "same-origin"}
        await register(client, CREDS["email"])
        login = await client.post("/auth/login?transport=cookie", json=CREDS, headers=page)
        assert login.status_code == 200, login.text
        # (the test client does not send Secure cookies over http: echo them by hand)
        jar = dict(login.cookies.items())
        cookie = f"{ACCESS}={jar[ACCESS]}; {CSRF}={jar[CSRF]}"
        headers = {**page, "X-CSRF-Token": jar[CSRF], "Cookie": cookie}
        post = await client.post("/plans", json={"title": "x"}, headers=headers)
        assert post.status_code == 201, post.text
        other = {**headers, "Origin": "https://auth.example.com.evil.example"}
        assert (await client.post("/plans", json={"title": "x"}, headers=other)).status_code == 403


async def test_bearer_and_body_requests_ignore_the_origin(client: httpx.AsyncClient) -> None:
    """The cross-site rule guards cookies: a login answered in the body and a Bearer
    request from any origin are not refused (their credentials are not ambient)."""
    await register(client, CREDS["email"])
    foreign = {"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"}
    tokens = (await client.post("/auth/login", json=CREDS, headers=foreign)).json()
    post = await client.post(
        "/plans", json={"title": "x"}, headers={**bearer(tokens["access_token"]), **foreign}
    )
    assert post.status_code == 201
    refresh = await client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, headers=foreign
    )
    assert refresh.status_code == 200
    assert "access_token" in refresh.json()


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://a.example", "https://a.example"),
        ("https://A.Example:443", "https://a.example"),
        ("http://a.example:80", "http://a.example"),
        ("http://a.example:8443", "http://a.example:8443"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("", None),
        ("https://", None),
        ("ftp://a.example", None),
        ("https://a.example/", None),
        ("https://user@a.example", None),
        ("https://a.example:99999", None),
        ("https://a.example:x", None),
    ],
)
def test_origin_parsing(value: str, origin: str | None) -> None:
    """Origins compare serialised (RFC 6454 §6.2): lower case, no default port;
    anything that is not an http(s) origin matches nothing."""
    from authgate.web.cookies import parse_origin

    assert parse_origin(value) == origin
