"""Passkeys in the web UI (issue 14, API.md §3.2), in real headless Chromium with its
virtual authenticator (DevTools ``WebAuthn`` domain: a CTAP2 platform authenticator
with resident keys and user verification that answers at once, as a person touching
the sensor would).

WebAuthn binds a passkey to the relying party, the host of ``AUTHGATE_PUBLIC_URL``,
and the server checks the page's origin against it. Chromium takes no IP address as
an RP ID, so the server here runs with ``AUTHGATE_PUBLIC_URL=http://localhost:PORT``
and the page is opened at that address; the same server reached at
``http://127.0.0.1:PORT`` is the wrong origin. Same browser, helpers and
conventions as the other browser tests (browser.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pyotp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.integration.browser import (
    ACCESS,
    ARTIFACTS,
    PASSWORD,
    BrowserContext,
    CDPSession,
    Locator,
    Page,
    Response,
    Route,
    assert_no_token_reachable_by_scripts,
    create_account,
    expect,
    expect_plans_page,
    servers_per_environment,
)
from tests.integration.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSKEY_BUTTON = "Sign in with a passkey"
CODE_STEP = "Two-step verification"
#: The server's words for a refused passkey (authgate.core.i18n).
PASSKEY_INVALID = "The passkey could not be verified"
#: The recent sign-in of the server that asks to confirm it's you (seconds).
REAUTH_MAX_AGE = 2


# -- the server: its public URL at "localhost", the RP ID of its passkeys -------------


@pytest.fixture(scope="module")
def passkey_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """``authgate serve`` at ``http://localhost:PORT`` (its AUTHGATE_PUBLIC_URL, so the
    RP ID is "localhost"), default Secure cookies, the given environment overrides;
    one per set of overrides, each with its own database; stopped after the module."""
    with servers_per_environment(tmp_path_factory, public_url=True) as start:
        yield start


def ip_url(server: Server) -> str:
    """The same server at its IP address: another origin, and no valid RP ID."""
    return f"http://127.0.0.1:{server.port}"


# -- the authenticator: Chromium's virtual one, through DevTools -----------------------


class VirtualAuthenticator:
    """A platform authenticator (internal transport, resident keys, user
    verification) attached to one page; it answers every ceremony at once."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.cdp: CDPSession = context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        answer = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        self.id: str = answer["authenticatorId"]

    def credentials(self) -> list[dict[str, Any]]:
        answer = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})
        found: list[dict[str, Any]] = answer["credentials"]
        return found

    def set_user_verified(self, verified: bool) -> None:
        self.cdp.send(
            "WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified}
        )


def page_with_authenticator(
    new_context: Callable[..., BrowserContext], locale: str = "en-US"
) -> tuple[Page, VirtualAuthenticator]:
    """A fresh browser (context) whose page has the virtual authenticator from the
    start, so the sign-in page sees a device that can hold passkeys."""
    context = new_context(locale)
    page = context.new_page()
    return page, VirtualAuthenticator(context, page)


# -- helpers: what a person does -----------------------------------------------------


def is_path(response: Response, path: str, method: str = "POST") -> bool:
    return urlparse(response.url).path == path and response.request.method == method


def is_passkey_call(response: Response, method: str) -> bool:
    """PATCH or DELETE /auth/passkeys/{id}."""
    return response.request.method == method and urlparse(response.url).path.startswith(
        "/auth/passkeys/"
    )


# test_browser's sign_in and expect_sign_in_page find the button by name="Sign in",
# which here also matches "Sign in with a passkey" (the virtual authenticator makes
# the sign-in page offer it): these say exact=True.


def expect_sign_in_page(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def sign_in(page: Page, url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def me(page: Page) -> dict[str, Any]:
    """GET /auth/me from the page, with its cookies (what the UI would see)."""
    answer: dict[str, Any] = page.evaluate(
        "fetch('/auth/me').then(async (r) => ({ status: r.status, body: await r.json() }))"
    )
    return answer


def open_passkeys(page: Page, heading: str = "Security", region: str = "Passkeys") -> Locator:
    """The Security page; its "Passkeys" section."""
    page.get_by_role("link", name=heading).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    section = page.get_by_role("region", name=region)
    expect(section).to_be_visible()
    return section


def add_passkey(page: Page, section: Locator, name: str | None) -> Response:
    """Add a passkey → (a name) → Create passkey: the browser's ceremony runs on the
    virtual authenticator; the server's answer to POST /auth/passkeys/register."""
    section.get_by_role("button", name="Add a passkey").click()
    field = section.get_by_label("Name (optional)")
    expect(field).to_be_focused()
    if name is not None:
        field.fill(name)
    with page.expect_response(lambda r: is_path(r, "/auth/passkeys/register")) as answer:
        section.get_by_role("button", name="Create passkey").click()
    return answer.value


def passkey_item(section: Locator, name: str) -> Locator:
    return section.get_by_role("listitem").filter(has_text=name)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)


def passkey_sign_in(page: Page) -> tuple[dict[str, Any], Response]:
    """Sign in with a passkey; the body of POST /auth/passkeys/login/options and the
    answer to POST /auth/passkeys/login."""
    with page.expect_request(
        lambda r: urlparse(r.url).path == "/auth/passkeys/login/options"
    ) as asked:
        with page.expect_response(lambda r: is_path(r, "/auth/passkeys/login")) as answer:
            page.get_by_role("button", name=PASSKEY_BUTTON).click()
    return json.loads(asked.value.post_data or "null"), answer.value


def account_with_passkey(
    page: Page, server: Server, authenticator: VirtualAuthenticator, email: str, name: str
) -> Locator:
    """A new account, signed in, with one passkey named ``name`` in the authenticator."""
    create_account(page, server.url, email)
    expect_plans_page(page)
    section = open_passkeys(page)
    expect(section).to_contain_text("No passkeys yet.")
    created = add_passkey(page, section, name)
    assert created.status == 201, created.text()
    expect(passkey_item(section, name)).to_be_visible()
    assert [c["rpId"] for c in authenticator.credentials()] == ["localhost"]
    return section


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


# -- assertions by hand: what a browser at another origin would sign ------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_assertion(
    credential: dict[str, Any], challenge: str, origin: str, count: int
) -> dict[str, Any]:
    """AuthenticationResponseJSON signed with the virtual authenticator's own key
    (DevTools hands it out) for ``origin``: what that credential would sign on a page
    at ``origin`` whose RP ID is "localhost" (flags: user present and verified)."""
    key = serialization.load_der_private_key(base64.b64decode(credential["privateKey"]), None)
    client_data = json.dumps(
        {"type": "webauthn.get", "challenge": challenge, "origin": origin, "crossOrigin": False}
    ).encode()
    authenticator_data = (
        hashlib.sha256(credential["rpId"].encode()).digest()
        + bytes([0x05])
        + struct.pack(">I", count)
    )
    signed = authenticator_data + hashlib.sha256(client_data).digest()
    if isinstance(key, ed25519.Ed25519PrivateKey):  # EdDSA (-8), Chromium's first choice
        signature = key.sign(signed)
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey), type(key)  # ES256 (-7)
        signature = key.sign(signed, ec.ECDSA(hashes.SHA256()))
    raw_id = base64.b64decode(credential["credentialId"])
    return {
        "id": b64url(raw_id),
        "rawId": b64url(raw_id),
        "type": "public-key",
        "authenticatorAttachment": "platform",
        "clientExtensionResults": {},
        "response": {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(authenticator_data),
            "signature": b64url(signature),
            "userHandle": b64url(base64.b64decode(credential["userHandle"])),
        },
    }


# -- the tests -----------------------------------------------------------------------


def test_a_passkey_added_on_the_security_page_signs_in_without_a_password(
    passkey_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Security → Add a passkey (a name) → the ceremony → listed with its dates; the
    same authenticator cannot add a second one. Signed out, "Sign in with a passkey"
    (no email, no password: a discoverable credential with user verification) signs
    in, in cookies, and the passkey shows when it was last used."""
    server = passkey_server()
    page, authenticator = page_with_authenticator(new_context)
    with page.expect_response(lambda r: is_path(r, "/auth/passkeys/register/options")) as options:
        section = account_with_passkey(
            page, server, authenticator, "pia@example.com", "Test laptop"
        )
    creation = options.value.json()
    assert creation["rp"]["id"] == "localhost"
    assert creation["authenticatorSelection"]["residentKey"] == "preferred"
    assert creation["authenticatorSelection"]["userVerification"] == "preferred"
    expect(section.get_by_role("status")).to_have_text(
        "Passkey added. You can now sign in with it."
    )
    item = passkey_item(section, "Test laptop")
    expect(item).to_contain_text("Added:")
    expect(item).to_contain_text("Last used: never")
    stored = authenticator.credentials()
    assert len(stored) == 1 and stored[0]["isResidentCredential"] is True
    assert me(page)["body"]["mfa"] == {"totp": False, "passkeys": 1}

    # The same authenticator again: the server's excludeCredentials stop it.
    with page.expect_response(lambda r: is_path(r, "/auth/passkeys/register/options")):
        section.get_by_role("button", name="Add a passkey").click()
        section.get_by_role("button", name="Create passkey").click()
    expect(section.get_by_role("alert")).to_have_text(
        "This device already has a passkey for your account."
    )
    expect(section.get_by_role("listitem")).to_have_count(1)
    assert len(authenticator.credentials()) == 1

    sign_out(page)
    assert ACCESS not in {c["name"] for c in page.context.cookies()}
    asked, login = passkey_sign_in(page)
    assert asked == {}  # usernameless: nothing typed
    assert login.status == 200, login.text()
    assert "transport=cookie" in login.url
    assert set(login.json()) == {"token_type", "expires_in"}
    expect_plans_page(page)
    expect(page.get_by_text("Signed in as pia@example.com")).to_be_visible()
    whoami = me(page)
    assert whoami["status"] == 200 and whoami["body"]["email"] == "pia@example.com"
    assert_no_token_reachable_by_scripts(page)

    section = open_passkeys(page)
    expect(passkey_item(section, "Test laptop")).not_to_contain_text("never")


def test_after_the_password_the_second_step_is_finished_with_a_passkey(
    passkey_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """A password sign-in of an account with a passkey answers 403 mfa_required with
    "passkey" in its methods: the second step offers only the passkey (no code field),
    asks for the options with the mfa token, and signs in. With an authenticator app
    too, the code step shows and the passkey is offered beside it."""
    server = passkey_server()
    page, authenticator = page_with_authenticator(new_context)
    account_with_passkey(page, server, authenticator, "quinn@example.com", "Desk")
    sign_out(page)

    with page.expect_response(lambda r: is_path(r, "/auth/login")) as login:
        sign_in(page, server.url, "quinn@example.com")
    assert login.value.status == 403
    refused = login.value.json()
    assert refused["code"] == "mfa_required" and refused["methods"] == ["passkey"]
    expect(page.get_by_role("heading", name=CODE_STEP)).to_be_visible()
    expect(page.get_by_text("Finish signing in with your passkey.")).to_be_visible()
    expect(page.get_by_label("Authentication code")).to_have_count(0)
    asked, answer = passkey_sign_in(page)
    assert asked == {"mfa_token": refused["mfa_token"]}
    assert answer.status == 200, answer.text()
    expect_plans_page(page)
    assert me(page)["body"]["email"] == "quinn@example.com"

    # Add an authenticator app (through the API, as the page would) and sign in again.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "__Host-csrf_token")
    setup = page.evaluate(
        """(csrf) => fetch('/auth/mfa/totp', { method: 'POST', headers: { 'X-CSRF-Token': csrf } })
             .then((r) => r.json())""",
        csrf,
    )
    confirmed = page.evaluate(
        """([csrf, code]) => fetch('/auth/mfa/totp/confirm', {
             method: 'POST',
             headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
             body: JSON.stringify({ code }),
           }).then((r) => r.status)""",
        [csrf, pyotp.TOTP(setup["secret"]).now()],
    )
    assert confirmed == 200
    sign_out(page)
    with page.expect_response(lambda r: is_path(r, "/auth/login")) as login:
        sign_in(page, server.url, "quinn@example.com")
    assert login.value.json()["methods"] == ["totp", "recovery_code", "passkey"]
    expect(page.get_by_label("Authentication code")).to_be_focused()
    expect(page.get_by_text("Or use a passkey instead of a code.")).to_be_visible()
    asked, answer = passkey_sign_in(page)
    assert asked == {"mfa_token": login.value.json()["mfa_token"]}
    assert answer.status == 200, answer.text()
    expect_plans_page(page)
    assert me(page)["body"]["mfa"] == {"totp": True, "passkeys": 1}


def test_a_passkey_is_renamed_and_a_removed_one_no_longer_signs_in(
    passkey_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Rename in place (Cancel leaves it, Save renames it); Remove passkey asks in the
    page first (Cancel keeps it). Removed, the authenticator still holds it, and signing
    in with it shows the server's passkey_invalid message."""
    server = passkey_server()
    page, authenticator = page_with_authenticator(new_context)
    section = account_with_passkey(page, server, authenticator, "rhea@example.com", "Old name")

    item = passkey_item(section, "Old name")
    item.get_by_role("button", name="Rename").click()
    field = section.get_by_label("Passkey name")
    expect(field).to_have_value("Old name")
    field.fill("Never saved")
    section.get_by_role("button", name="Cancel").click()
    expect(passkey_item(section, "Old name")).to_be_visible()

    passkey_item(section, "Old name").get_by_role("button", name="Rename").click()
    section.get_by_label("Passkey name").fill("  ")
    section.get_by_role("button", name="Save").click()
    expect(section.get_by_role("alert")).to_have_text("Enter a name of at most 100 characters.")
    section.get_by_label("Passkey name").fill("Work phone")
    with page.expect_response(lambda r: is_passkey_call(r, "PATCH")) as renamed:
        section.get_by_role("button", name="Save").click()
    assert renamed.value.status == 200 and renamed.value.json()["name"] == "Work phone"
    expect(section.get_by_role("status")).to_have_text("Passkey renamed.")
    item = passkey_item(section, "Work phone")
    expect(item).to_be_visible()
    page.reload()
    section = open_passkeys(page)
    expect(passkey_item(section, "Work phone")).to_be_visible()

    passkey_item(section, "Work phone").get_by_role("button", name="Remove passkey").click()
    question = section.get_by_role("group")
    expect(question).to_contain_text(
        "Remove the passkey “Work phone”? You will no longer be able to sign in with it."
    )
    expect(question.get_by_role("button", name="Cancel")).to_be_focused()
    question.get_by_role("button", name="Cancel").click()
    expect(section.get_by_role("group")).to_have_count(0)
    passkey_item(section, "Work phone").get_by_role("button", name="Remove passkey").click()
    with page.expect_response(lambda r: is_passkey_call(r, "DELETE")) as removed:
        section.get_by_role("button", name="Yes, remove it").click()
    assert removed.value.status == 204
    expect(section.get_by_role("status")).to_have_text("Passkey “Work phone” removed.")
    expect(section).to_contain_text("No passkeys yet.")
    assert me(page)["body"]["mfa"]["passkeys"] == 0
    assert len(authenticator.credentials()) == 1  # the device still has it

    sign_out(page)
    _, login = passkey_sign_in(page)
    assert login.status == 401
    assert (login.json()["code"], login.json()["detail"]) == ("passkey_invalid", PASSKEY_INVALID)
    expect(page.get_by_role("alert")).to_have_text(PASSKEY_INVALID)
    expect_sign_in_page(page)
    assert ACCESS not in {c["name"] for c in page.context.cookies()}
    # A password alone signs in again: no second step is left.
    with page.expect_response(lambda r: is_path(r, "/auth/login")) as password:
        sign_in(page, server.url, "rhea@example.com")
    assert password.value.status == 200
    expect_plans_page(page)


def test_adding_and_removing_after_an_old_sign_in_ask_to_confirm_it_is_you(
    passkey_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Adding and removing a passkey need a recent sign-in: after it, 403
    reauth_required shows "Confirm it's you" in the section, then the action runs
    again. An account whose only second factor is the passkey confirms with the
    password and then the passkey."""
    server = passkey_server(AUTHGATE_REAUTH_MAX_AGE=REAUTH_MAX_AGE)
    page, authenticator = page_with_authenticator(new_context)
    create_account(page, server.url, "sol@example.com")
    expect_plans_page(page)
    section = open_passkeys(page)
    time.sleep(REAUTH_MAX_AGE + 0.5)

    section.get_by_role("button", name="Add a passkey").click()
    section.get_by_label("Name (optional)").fill("Laptop")
    with page.expect_response(lambda r: is_path(r, "/auth/passkeys/register/options")) as refused:
        section.get_by_role("button", name="Create passkey").click()
    assert refused.value.status == 403 and refused.value.json()["code"] == "reauth_required"
    expect(section.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    section.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: is_path(r, "/auth/passkeys/register")) as created:
        section.get_by_role("button", name="Confirm").click()
    assert created.value.status == 201
    expect(passkey_item(section, "Laptop")).to_be_visible()
    assert len(authenticator.credentials()) == 1

    time.sleep(REAUTH_MAX_AGE + 0.5)
    passkey_item(section, "Laptop").get_by_role("button", name="Remove passkey").click()
    with page.expect_response(lambda r: is_passkey_call(r, "DELETE")) as refused:
        section.get_by_role("button", name="Yes, remove it").click()
    assert refused.value.status == 403 and refused.value.json()["code"] == "reauth_required"
    expect(section.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    with page.expect_response(lambda r: is_path(r, "/auth/login")) as login:
        section.get_by_label("Password").fill(PASSWORD)
        section.get_by_role("button", name="Confirm").click()
    assert login.value.json()["methods"] == ["passkey"]
    expect(section.get_by_role("heading", name=CODE_STEP)).to_be_visible()
    with page.expect_response(lambda r: is_passkey_call(r, "DELETE")) as removed:
        section.get_by_role("button", name=PASSKEY_BUTTON).click()
    assert removed.value.status == 204
    expect(section).to_contain_text("No passkeys yet.")
    expect(section.get_by_role("heading", name="Confirm it's you")).to_have_count(0)


def test_a_replayed_assertion_is_refused(
    passkey_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The body of one passkey sign-in, captured on its way and sent again (as is, and
    with a fresh flow): 401 passkey_invalid both times; the first one signed in."""
    server = passkey_server()
    page, authenticator = page_with_authenticator(new_context)
    account_with_passkey(page, server, authenticator, "remy@example.com", "Key")
    sign_out(page)

    captured: list[str] = []

    def capture(route: Route) -> None:
        captured.append(route.request.post_data or "")
        route.continue_()

    page.route(lambda url: urlparse(url).path == "/auth/passkeys/login", capture)
    _, login = passkey_sign_in(page)
    assert login.status == 200
    expect_plans_page(page)
    assert len(captured) == 1
    body = json.loads(captured[0])
    assert set(body) == {"flow", "credential"}

    with httpx.Client(base_url=server.url, timeout=30) as client:
        again = client.post("/auth/passkeys/login", json=body)
        assert again.status_code == 401, again.text
        assert again.json()["code"] == "passkey_invalid"
        fresh = client.post("/auth/passkeys/login/options", json={}).json()
        again = client.post(
            "/auth/passkeys/login", json={"flow": fresh["flow"], "credential": body["credential"]}
        )
        assert again.status_code == 401, again.text
        assert again.json()["code"] == "passkey_invalid"
        assert "set-cookie" not in again.headers


def test_a_wrong_origin_is_refused(
    passkey_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The same server at http://127.0.0.1:PORT: the browser refuses the RP ID
    "localhost" there, the page says so, and nothing signs in. What that credential
    would sign at that origin (its own key, by hand) the server refuses, while the
    same assertion for http://localhost:PORT signs in."""
    server = passkey_server()
    page, authenticator = page_with_authenticator(new_context)
    account_with_passkey(page, server, authenticator, "sage@example.com", "Laptop")
    sign_out(page)

    page.goto(ip_url(server))
    expect_sign_in_page(page)
    posted: list[str] = []
    page.on(
        "request", lambda r: posted.append(urlparse(r.url).path) if r.method == "POST" else None
    )
    page.get_by_role("button", name=PASSKEY_BUTTON).click()
    expect(page.get_by_role("alert")).to_have_text(
        "Passkeys cannot be used at this address. Open authgate at its usual address and try again."
    )
    assert posted == ["/auth/passkeys/login/options"]  # never /auth/passkeys/login
    assert ACCESS not in {c["name"] for c in page.context.cookies()}
    assert me(page)["status"] == 401

    credential = authenticator.credentials()[0]
    count = credential["signCount"]
    with httpx.Client(base_url=ip_url(server), timeout=30) as client:
        for origin, expected in ((ip_url(server), 401), (server.url, 200)):
            options = client.post("/auth/passkeys/login/options", json={}).json()
            count += 1
            assertion = forged_assertion(credential, options["options"]["challenge"], origin, count)
            answer = client.post(
                "/auth/passkeys/login", json={"flow": options["flow"], "credential": assertion}
            )
            assert answer.status_code == expected, (origin, answer.text)
            if expected == 401:
                assert answer.json()["code"] == "passkey_invalid"


def test_a_cancelled_ceremony_is_calm(
    passkey_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The person does not verify (the dialog closed, the sensor refused): the browser
    answers NotAllowedError and the page says, calmly, that nothing changed."""
    server = passkey_server()
    page, authenticator = page_with_authenticator(new_context)
    account_with_passkey(page, server, authenticator, "tove@example.com", "Laptop")
    sign_out(page)
    authenticator.set_user_verified(False)
    page.get_by_role("button", name=PASSKEY_BUTTON).click()
    expect(page.get_by_role("status")).to_have_text(
        "The passkey request was cancelled or timed out. Nothing has changed; "
        "try again when you are ready."
    )
    expect(page.get_by_role("alert")).to_have_count(0)
    authenticator.set_user_verified(True)
    _, login = passkey_sign_in(page)
    assert login.status == 200
    expect_plans_page(page)


def test_the_passkeys_section_in_korean(
    passkey_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The section and sign-in in Korean, and a screenshot of it."""
    server = passkey_server()
    page, authenticator = page_with_authenticator(new_context, "ko-KR")
    page.goto(server.url)
    page.get_by_role("link", name="가입하기").click()
    page.get_by_label("이메일").fill("uma@example.com")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()
    expect(page.get_by_role("heading", name="계획")).to_be_visible()
    section = open_passkeys(page, heading="보안", region="패스키")
    expect(section).to_contain_text("아직 등록된 패스키가 없습니다.")
    section.get_by_role("button", name="패스키 추가").click()
    section.get_by_label("이름 (선택)").fill("회사 노트북")
    section.get_by_role("button", name="패스키 만들기").click()
    expect(section.get_by_role("status")).to_have_text(
        "패스키를 추가했습니다. 이제 이 패스키로 로그인하실 수 있습니다."
    )
    item = passkey_item(section, "회사 노트북")
    expect(item).to_contain_text("최근 사용: 사용한 적 없음")
    expect(item.get_by_role("button", name="이름 바꾸기")).to_be_visible()
    expect(item.get_by_role("button", name="패스키 삭제")).to_be_visible()
    screenshot(page, "passkeys-ko.png")
    page.get_by_role("button", name="로그아웃", exact=True).click()
    expect(page.get_by_role("button", name="패스키로 로그인")).to_be_visible()
    assert len(authenticator.credentials()) == 1
