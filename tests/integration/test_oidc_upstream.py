"""Signing in through another provider, end to end with no external network: a
second authgate is the first one's generic OpenID provider (AUTHGATE_OIDC_PROVIDERS
with its issuer), and a user of the second signs in to the first."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.integration.conftest import AuthgateServer, Launcher
from tests.integration.oidc_parts import PASSWORD, provider, register_client, register_user

pytestmark = pytest.mark.slow

EMAIL = "dave@example.com"


@contextlib.contextmanager
def signed_in(server: AuthgateServer, email: str) -> Iterator[httpx.Client]:
    """A browser's cookie jar for ``server``, signed in to its pages."""
    with httpx.Client(base_url=server.url, timeout=30) as jar:
        answer = jar.post(
            "/auth/login",
            params={"transport": "cookie"},
            json={"email": email, "password": PASSWORD},
            headers={"Origin": server.url},
        )
        assert answer.status_code == 200, answer.text
        yield jar


def through_upstream(first: httpx.Client, upstream: httpx.Client) -> httpx.Response:
    """start at the first → authorize at the upstream (signed in) → the first's
    callback: its answer. Two jars, as the two sites' cookies would be."""
    start = first.get("/auth/oidc/corp/start")
    assert start.status_code == 302, start.text
    authorize = upstream.get(start.headers["location"])
    assert authorize.status_code == 302, authorize.text
    back = authorize.headers["location"]
    assert urlsplit(back).path == "/auth/oidc/corp/callback"
    return first.get(back)


@pytest.fixture(scope="module")
def servers(launcher: Launcher) -> tuple[AuthgateServer, AuthgateServer]:
    upstream = provider(launcher)
    holder: dict[str, str] = {}

    def configure(url: str) -> dict[str, str]:
        client = register_client(upstream, f"{url}/auth/oidc/corp/callback")
        holder["client_id"] = client.client_id
        corp = {"issuer": upstream.url, "client_id": client.client_id}
        corp["client_secret"] = client.secret or ""
        return {"AUTHGATE_OIDC_PROVIDERS": json.dumps({"corp": corp})}

    first = provider(launcher, configure)
    return first, upstream


def test_a_user_of_the_upstream_signs_in_and_gets_an_account(
    servers: tuple[AuthgateServer, AuthgateServer],
) -> None:
    """A new identity makes a new account (the upstream did not verify the address),
    signs in with cookies, is listed, cannot be unlinked (the only way in), and the
    next sign-in lands in the same account."""
    first, upstream = servers
    register_user(upstream, EMAIL)
    with (
        signed_in(upstream, EMAIL) as at_upstream,
        httpx.Client(base_url=first.url, timeout=30) as browser,
    ):
        assert browser.get("/auth/oidc/providers").json() == [
            {"name": "corp", "display_name": "corp"}
        ]
        callback = through_upstream(browser, at_upstream)
        assert callback.status_code == 302 and callback.headers["location"] == "/"
        me = browser.get("/auth/me").json()
        assert me["email"] == EMAIL and me["email_verified"] is False
        (identity,) = browser.get("/auth/identities").json()
        assert identity["provider"] == "corp" and identity["email"] == EMAIL
        csrf = browser.cookies["csrf_token"]
        refused = browser.delete(
            "/auth/identities/corp", headers={"X-CSRF-Token": csrf, "Origin": first.url}
        )
        assert refused.status_code == 403
        assert refused.json()["code"] == "forbidden"

    with (
        signed_in(upstream, EMAIL) as at_upstream,
        httpx.Client(base_url=first.url, timeout=30) as browser,
    ):
        assert through_upstream(browser, at_upstream).status_code == 302
        assert browser.get("/auth/me").json()["id"] == me["id"]


def test_an_unverified_address_does_not_take_over_an_account(
    servers: tuple[AuthgateServer, AuthgateServer],
) -> None:
    """An account with the same email exists here; the upstream did not verify the
    address: no sign-in, no link (API.md §3.4)."""
    first, upstream = servers
    register_user(first, "erin@example.com")
    register_user(upstream, "erin@example.com")
    with (
        signed_in(upstream, "erin@example.com") as at_upstream,
        httpx.Client(base_url=first.url, timeout=30) as browser,
    ):
        callback = through_upstream(browser, at_upstream)
        assert callback.status_code == 302
        assert callback.headers["location"] == "/#/signin?oidc_error=email_taken"
        assert browser.get("/auth/me").status_code == 401


def test_a_callback_without_its_browser_s_state_is_refused(
    servers: tuple[AuthgateServer, AuthgateServer],
) -> None:
    """The state must come back to the browser that started (login CSRF)."""
    first, upstream = servers
    register_user(upstream, "frank@example.com")
    with (
        signed_in(upstream, "frank@example.com") as at_upstream,
        httpx.Client(base_url=first.url, timeout=30) as attacker,
        httpx.Client(base_url=first.url, timeout=30) as victim,
    ):
        start = attacker.get("/auth/oidc/corp/start")
        back = at_upstream.get(start.headers["location"]).headers["location"]
        assert "code" in parse_qs(urlsplit(back).query)
        answer = victim.get(back)
        assert answer.headers["location"] == "/#/signin?oidc_error=expired"
        assert victim.get("/auth/me").status_code == 401


def test_unknown_provider_is_not_found(servers: tuple[AuthgateServer, AuthgateServer]) -> None:
    first, _ = servers
    with httpx.Client(base_url=first.url, timeout=30) as browser:
        answer = browser.get("/auth/oidc/nobody/start")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
