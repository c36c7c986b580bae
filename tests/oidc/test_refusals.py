"""Every refusal of the provider, in OAuth 2.0's words (RFC 6749 §4.1.2.1, §5.2;
RFC 7636 §4.4.1, §4.6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from authgate.core import oidc_clients
from tests.conftest import FakeClock
from tests.oidc.helpers import (
    ISSUER,
    REDIRECT_URI,
    Registered,
    challenge_of,
    new_client,
    signed_in_browser,
    token_request,
)

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


@pytest.fixture
async def provider(app_factory: Any, tmp_path: Path) -> tuple[Any, Any]:
    # The key directory of its own: on PostgreSQL the default is the working directory.
    return await app_factory(public_url=ISSUER, keys_dir=tmp_path / "keys")


def authorize_url(registered: Registered, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email",
        "state": "xyz",
        "nonce": "abc",
        "code_challenge": challenge_of(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def redirected_error(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def exchange(code: str, verifier: str = VERIFIER, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **extra,
    }


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"code_challenge": None}, "invalid_request", id="pkce-missing"),
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="pkce-plain"),
        pytest.param({"code_challenge_method": None}, "invalid_request", id="pkce-no-method"),
        pytest.param({"code_challenge": "short"}, "invalid_request", id="pkce-malformed"),
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit"),
        pytest.param({"scope": "email"}, "invalid_scope", id="no-openid"),
        pytest.param({"request": "eyJ9"}, "request_not_supported", id="request-object"),
    ],
)
async def test_bad_requests_go_back_with_an_error(
    provider: tuple[Any, Any], overrides: dict[str, str | None], error: str
) -> None:
    """A refused request from a known client returns to its redirect URI, with the state."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        query = redirected_error(await browser.get(authorize_url(registered, **overrides)))
    assert query["error"] == [error]
    assert query["state"] == ["xyz"]
    assert query["iss"] == [ISSUER]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"redirect_uri": "https://evil.example/callback"}, id="unregistered"),
        pytest.param({"redirect_uri": REDIRECT_URI + "/"}, id="altered-path"),
        pytest.param({"redirect_uri": REDIRECT_URI + "?next=x"}, id="altered-query"),
        pytest.param({"redirect_uri": None}, id="missing"),
        pytest.param({"client_id": "nobody"}, id="unknown-client"),
        pytest.param({"client_id": None}, id="no-client"),
    ],
)
async def test_unknown_redirect_uri_is_a_plain_page(
    provider: tuple[Any, Any], overrides: dict[str, str | None]
) -> None:
    """An unknown client or a redirect URI not registered exactly: 400, never a redirect."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        response = await browser.get(authorize_url(registered, **overrides))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "uri", ["javascript:alert(document.domain)//", "data:text/html,<script>alert(1)</script>"]
)
async def test_a_redirect_uri_registered_before_it_was_refused_is_never_followed(
    provider: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch, uri: str
) -> None:
    """A client stored by a release that let such a URI through: its authorization
    requests are a plain 400 page, never a redirect (nor a consent that sends there)."""
    app, gate = provider
    monkeypatch.setattr(oidc_clients, "check_redirect_uri", lambda value: value)
    registered = await new_client(gate, uris=(uri,), first_party=False)
    monkeypatch.undo()
    async with signed_in_browser(app) as browser:
        request = authorize_url(registered, redirect_uri=uri)
        response = await browser.get(request)
        csrf = next(v for k, v in browser.cookies.items() if k.endswith("csrf_token"))
        headers = {"X-CSRF-Token": csrf, "Origin": ISSUER}
        denied = await browser.post(
            "/auth/consents",
            json={"request": urlsplit(request).query, "allow": False},
            headers=headers,
        )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert denied.status_code == 422
    assert "redirect_to" not in denied.json()


async def test_repeated_redirect_uri_is_a_plain_page(provider: tuple[Any, Any]) -> None:
    """A repeated redirect_uri is not followed (RFC 6749 §3.1)."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        url = authorize_url(registered) + "&" + urlencode({"redirect_uri": REDIRECT_URI})
        response = await browser.get(url)
    assert response.status_code == 400


async def test_reused_code_revokes_what_it_issued(provider: tuple[Any, Any]) -> None:
    """A code presented twice is refused, and the tokens of its first use die (§4.1.2)."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        code = code_of(await browser.get(authorize_url(registered)))
        first = await token_request(app, registered, exchange(code))
        assert first.status_code == 200, first.text
        second = await token_request(app, registered, exchange(code))
        assert second.status_code == 400
        assert second.json()["error"] == "invalid_grant"
        tokens = first.json()
        refresh = await token_request(
            app,
            registered,
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )
        assert refresh.json()["error"] == "invalid_grant"
        userinfo = await browser.get(
            "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert userinfo.status_code == 401


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param({"code_verifier": "x" * 43}, "invalid_grant", id="wrong-verifier"),
        pytest.param({"code_verifier": "short"}, "invalid_grant", id="malformed-verifier"),
        pytest.param({"redirect_uri": "https://rp.example/other"}, "invalid_grant", id="other-uri"),
        pytest.param({"code": "not-a-code"}, "invalid_grant", id="unknown-code"),
        pytest.param({"grant_type": "password"}, "unsupported_grant_type", id="unknown-grant"),
        pytest.param({"grant_type": "client_credentials"}, "unsupported_grant_type", id="cc"),
    ],
)
async def test_bad_exchanges_are_refused(
    provider: tuple[Any, Any], change: dict[str, str], error: str
) -> None:
    """Wrong verifier, other redirect URI, unknown code or grant: the token endpoint refuses."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        code = code_of(await browser.get(authorize_url(registered)))
        response = await token_request(app, registered, {**exchange(code), **change})
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


async def test_missing_verifier_is_refused_and_burns_the_code(provider: tuple[Any, Any]) -> None:
    """Without a code_verifier the exchange fails, and the code cannot be tried again."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        code = code_of(await browser.get(authorize_url(registered)))
        data = exchange(code)
        del data["code_verifier"]
        refused = await token_request(app, registered, data)
        assert refused.json()["error"] == "invalid_grant"
        again = await token_request(app, registered, exchange(code))
        assert again.json()["error"] == "invalid_grant"


async def test_expired_code_is_refused(provider: tuple[Any, Any], clock: FakeClock) -> None:
    """A code lives 60 s."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        code = code_of(await browser.get(authorize_url(registered)))
        clock.advance(61)
        response = await token_request(app, registered, exchange(code))
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("wrong-secret", id="wrong-secret"),
        pytest.param("no-secret", id="no-secret"),
        pytest.param("unknown-client", id="unknown-client"),
        pytest.param("bad-basic", id="malformed-basic"),
    ],
)
async def test_client_authentication_failures(provider: tuple[Any, Any], how: str) -> None:
    """A confidential client must prove its secret: 401 invalid_client (RFC 6749 §5.2)."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        code = code_of(await browser.get(authorize_url(registered)))
        data = exchange(code)
        headers: dict[str, str] = {}
        if how == "wrong-secret":
            headers["Authorization"] = httpx.BasicAuth(registered.client_id, "nope")._auth_header
        elif how == "no-secret":
            data["client_id"] = registered.client_id
        elif how == "unknown-client":
            data.update(client_id="nobody", client_secret="x")
        else:
            headers["Authorization"] = "Basic !!!"
        response = await browser.post("/oauth/token", data=data, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")
        genuine = await token_request(app, registered, exchange(code))
        assert genuine.status_code == 200, "the impostor burnt the code"


async def test_code_of_one_client_is_refused_to_another(provider: tuple[Any, Any]) -> None:
    """A code is bound to the client it was issued to."""
    app, gate = provider
    registered, other = await new_client(gate), await new_client(gate)
    async with signed_in_browser(app) as browser:
        code = code_of(await browser.get(authorize_url(registered)))
        response = await token_request(app, other, exchange(code))
    assert response.json()["error"] == "invalid_grant"


async def test_code_dies_with_the_sign_in_behind_it(provider: tuple[Any, Any]) -> None:
    """A logout between the code and its exchange voids the code."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        code = code_of(await browser.get(authorize_url(registered)))
        csrf = next(v for k, v in browser.cookies.items() if k.endswith("csrf_token"))
        out = await browser.post("/auth/logout", headers={"X-CSRF-Token": csrf, "Origin": ISSUER})
        assert out.status_code == 204
        response = await token_request(app, registered, exchange(code))
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(
            b'{"grant_type": "authorization_code"}', {"Content-Type": "application/json"}, id="json"
        ),
        pytest.param(
            b"\xff\xfe", {"Content-Type": "application/x-www-form-urlencoded"}, id="not-utf8"
        ),
        pytest.param(
            b"grant_type=a&grant_type=b",
            {"Content-Type": "application/x-www-form-urlencoded"},
            id="repeat",
        ),
        pytest.param(b"", {}, id="empty"),
    ],
)
async def test_malformed_token_requests(
    provider: tuple[Any, Any], body: bytes, headers: dict[str, str]
) -> None:
    """Malformed token requests are 400 or 401 in OAuth's words, never a 500."""
    app, gate = provider
    registered = await new_client(gate, public=True)
    async with signed_in_browser(app) as browser:
        response = await browser.post(
            f"/oauth/token?client_id={registered.client_id}", content=body, headers=headers
        )
    assert response.status_code in (400, 401)
    assert "error" in response.json()


@pytest.mark.parametrize(
    "nonce",
    [pytest.param("n" * 513, id="too-long"), pytest.param("a\x00b", id="nul")],
)
async def test_unstorable_nonce_is_refused(provider: tuple[Any, Any], nonce: str) -> None:
    """A nonce the code's row cannot hold is an invalid_request, never a 500."""
    app, gate = provider
    registered = await new_client(gate)
    async with signed_in_browser(app) as browser:
        query = redirected_error(await browser.get(authorize_url(registered, nonce=nonce)))
    assert query["error"] == ["invalid_request"]


async def test_odd_ids_are_answered_not_crashed_on(provider: tuple[Any, Any]) -> None:
    """NUL bytes and over-long ids in client ids: 4xx everywhere (PostgreSQL refuses NUL)."""
    app, _ = provider
    async with signed_in_browser(app) as browser:
        token = await browser.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "a\x00b"},
        )
        assert token.status_code == 401
        basic = await browser.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "x"},
            auth=httpx.BasicAuth("a\x00b" * 40, "secret"),
        )
        assert basic.status_code == 401
        assert (await browser.get("/oauth/clients/a%00b")).status_code == 404
        assert (await browser.get("/oauth/authorize?client_id=a%00b")).status_code == 400
        csrf = next(v for k, v in browser.cookies.items() if k.endswith("csrf_token"))
        headers = {"X-CSRF-Token": csrf, "Origin": ISSUER}
        assert (await browser.delete("/auth/consents/a%00b", headers=headers)).status_code == 404
        assert (await browser.delete("/auth/identities/a%00b", headers=headers)).status_code == 404
        decided = await browser.post(
            "/auth/consents", json={"request": "client_id=a%00b", "allow": True}, headers=headers
        )
        assert decided.status_code == 422
