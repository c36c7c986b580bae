"""Signing in to an application through authgate's pages (OpenID Connect), in real
headless Chromium: the example relying party (Authlib) sends the browser to
authgate, which signs the user in with their second factor, asks for consent once,
and sends them back; the Security page lists the app and revokes its access."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.integration.browser import (
    BrowserContext,
    Page,
    expect,
)
from tests.integration.conftest import Launcher
from tests.integration.oidc_parts import (
    PASSWORD,
    provider,
    python_rp,
    register_client,
    register_user,
    rp_port,
)
from tests.integration.test_browser_mfa import CODE_STEP, Authenticator, set_up_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "carol@example.com"


def enrol_authenticator(url: str) -> Authenticator:
    """Set up an authenticator app for EMAIL through the API; the phone's app."""
    with httpx.Client(base_url=url, timeout=30) as http:
        tokens = http.post("/auth/login", json={"email": EMAIL, "password": PASSWORD}).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        setup = http.post("/auth/mfa/totp", headers=auth)
        assert setup.status_code == 200, setup.text
        app = Authenticator(setup.json()["secret"])
        confirmed = http.post("/auth/mfa/totp/confirm", json={"code": app.code()}, headers=auth)
        assert confirmed.status_code == 200, confirmed.text
    return app


def sign_in_with_code(page: Page, app: Authenticator) -> None:
    """authgate's sign-in page: email, password, then the app's code."""
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=CODE_STEP)).to_be_visible()
    page.get_by_label("Authentication code", exact=True).fill(app.code())
    page.get_by_role("button", name="Verify", exact=True).click()


def test_sign_in_to_an_app_with_consent_and_a_second_factor(
    launcher: Launcher, new_context: Callable[..., BrowserContext]
) -> None:
    """App → authgate's sign-in (password, then the code) → consent (Allow) → back in
    the app signed in, with mfa in amr; the Security page's Connected apps lists the
    app, Revoke access removes it, and the next sign-in asks again."""
    server = provider(launcher)
    port = rp_port()
    client = register_client(server, f"http://127.0.0.1:{port}/callback", first_party=False)
    register_user(server, EMAIL)
    app = enrol_authenticator(server.url)
    rp = python_rp(launcher, server, port, client)

    page = new_context().new_page()
    page.goto(rp.url)
    page.get_by_role("link", name="Sign in with authgate", exact=True).click()
    sign_in_with_code(page, app)
    expect(page.get_by_role("heading", name="Example app wants to sign you in")).to_be_visible()
    expect(page.get_by_text("Your email address and whether it is verified")).to_be_visible()
    page.get_by_role("button", name="Allow", exact=True).click()
    expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()
    shown = page.locator("pre").inner_text()
    assert '"mfa"' in shown and '"otp"' in shown, shown

    # Signed in to authgate already, consent given: straight back, no page shown.
    page.goto(f"{rp.url}/login")
    expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()

    page.goto(server.url)
    page.get_by_role("link", name="Security").click()
    apps = page.get_by_role("region", name="Connected apps")
    expect(apps.get_by_text("Example app")).to_be_visible()
    apps.get_by_role("button", name="Revoke access", exact=True).click()
    expect(apps.get_by_text("No connected apps.")).to_be_visible()

    page.goto(f"{rp.url}/login")
    expect(page.get_by_role("heading", name="Example app wants to sign you in")).to_be_visible()
    page.get_by_role("button", name="Deny", exact=True).click()
    expect(page.get_by_text("sign-in refused: access_denied")).to_be_visible()


def test_sign_in_with_another_authgate_from_the_sign_in_page(
    launcher: Launcher, new_context: Callable[..., BrowserContext]
) -> None:
    """The first authgate's sign-in page has a button per provider; the second
    authgate (its provider) signs the user in on its own pages and sends them back,
    signed in, with the identity under Linked accounts; it cannot be unlinked while it
    is the only way in."""
    upstream = provider(launcher)
    register_user(upstream, "grace@example.com")

    def configure(url: str) -> dict[str, str]:
        client = register_client(upstream, f"{url}/auth/oidc/corp/callback")
        corp = {"issuer": upstream.url, "client_id": client.client_id}
        corp.update(client_secret=client.secret or "", display_name="Corp SSO")
        return {"AUTHGATE_OIDC_PROVIDERS": json.dumps({"corp": corp})}

    first = provider(launcher, configure)
    page = new_context().new_page()
    page.goto(first.url)
    page.get_by_role("link", name="Sign in with Corp SSO", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert page.url.startswith(upstream.url), page.url
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Signed in as grace@example.com")).to_be_visible()
    assert page.url.startswith(first.url), page.url
    page.get_by_role("link", name="Security").click()
    linked = page.get_by_role("region", name="Linked accounts")
    expect(linked.get_by_text("Corp SSO · grace@example.com")).to_be_visible()
    linked.get_by_role("button", name="Unlink", exact=True).click()
    expect(linked.get_by_role("alert")).to_contain_text("This is your only way to sign in.")
    expect(linked.get_by_text("Corp SSO · grace@example.com")).to_be_visible()


def test_an_account_with_a_second_factor_still_asks_for_it(
    launcher: Launcher, new_context: Callable[..., BrowserContext]
) -> None:
    """Signed in through the provider once, the user sets up an authenticator app
    here; the next sign-in through the provider stops at this authgate's code step."""
    upstream = provider(launcher)
    register_user(upstream, "heidi@example.com")

    def configure(url: str) -> dict[str, str]:
        client = register_client(upstream, f"{url}/auth/oidc/corp/callback")
        corp = {"issuer": upstream.url, "client_id": client.client_id}
        corp.update(client_secret=client.secret or "", display_name="Corp SSO")
        return {"AUTHGATE_OIDC_PROVIDERS": json.dumps({"corp": corp})}

    first = provider(launcher, configure)
    page = new_context().new_page()

    def through_corp() -> None:
        page.goto(first.url)
        page.get_by_role("link", name="Sign in with Corp SSO", exact=True).click()
        expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
        page.get_by_label("Email").fill("heidi@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()

    through_corp()
    expect(page.get_by_text("Signed in as heidi@example.com")).to_be_visible()
    app, _ = set_up_app(page)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()

    through_corp()
    expect(page.get_by_role("heading", name=CODE_STEP)).to_be_visible()
    assert page.url.startswith(first.url), page.url
    page.get_by_label("Authentication code", exact=True).fill(app.code())
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_text("Signed in as heidi@example.com")).to_be_visible()
