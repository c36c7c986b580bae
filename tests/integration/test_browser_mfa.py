"""Second factors in the web UI (issue 14, first part: an authenticator app and its
recovery codes), in real headless Chromium against ``authgate serve``.

The tests act as the person and as their phone: the page shows a QR code and the
setup key, the test reads the key off the page and computes the codes the app would
show (pyotp). The server accepts each 30-second step once and only a later one after
it, so ``Authenticator`` hands out the next unused step (the server takes ±1 step).
Same browser, server fixture, helpers and conventions as the other browser tests (browser.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pyotp
import pytest

from tests.integration.browser import (
    ACCESS,
    ARTIFACTS,
    PASSWORD,
    BrowserContext,
    Locator,
    Page,
    Response,
    create_account,
    expect,
    expect_plans_page,
    expect_sign_in_page,
    sign_in,
)
from tests.integration.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STEP = 30
#: The "recent sign-in" of the server that asks to confirm it's you. auth_time is
#: whole seconds, so the retry right after a re-authentication has this much minus
#: the fraction of its second: 2 s leaves it at least 1 s.
REAUTH_MAX_AGE = 2
CODE_STEP = "Two-step verification"
CONFIRM = "Confirm it's you"
QR_ALT = "QR code to scan with your authenticator app"


class Authenticator:
    """The phone's app for one secret: a code for a step the server has not seen used
    (each step once; later ones only), waiting for the clock when it must."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step: int | None = None

    def code(self) -> str:
        now = int(time.time()) // STEP
        if self.last_step is None:
            self.last_step = now
            return self.totp.now()
        step = max(now, self.last_step + 1)
        while step > int(time.time()) // STEP + 1:  # at most one step ahead of the server
            time.sleep(0.2)
        self.last_step = step
        return self.totp.at(step * STEP)

    def wrong_code(self) -> str:
        """Six digits that are no code of the steps the server accepts now."""
        now = time.time()
        valid = {self.totp.at(now + offset * STEP) for offset in (-2, -1, 0, 1, 2)}
        return next(c for c in ("000000", "111111", "222222") if c not in valid)


# -- helpers: what a person does -----------------------------------------------------


def is_path(response: Response, path: str, method: str = "POST") -> bool:
    return urlparse(response.url).path == path and response.request.method == method


def open_security(page: Page) -> Locator:
    """The Security page; its "Authenticator app" section."""
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security", level=1)).to_be_visible()
    return page.get_by_role("region", name="Authenticator app")


def read_setup_key(page: Page) -> str:
    """The setup key as shown (groups of four), and checks it is shown so."""
    shown = page.get_by_label("Setup key").input_value()
    groups = shown.split(" ")
    assert all(len(g) == 4 for g in groups[:-1]) and 1 <= len(groups[-1]) <= 4, shown
    secret = shown.replace(" ", "")
    assert len(secret) >= 16 and secret.isalnum() and secret.isupper(), shown
    return secret


def recovery_codes(page: Page) -> list[str]:
    items = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(items).to_have_count(10)
    codes = [text.strip() for text in items.all_inner_texts()]
    assert len(set(codes)) == 10
    return codes


def set_up_app(page: Page) -> tuple[Authenticator, list[str]]:
    """Security → Set up authenticator app → scan (read the key) → the first code →
    the recovery codes (left on screen)."""
    section = open_security(page)
    section.get_by_role("button", name="Set up authenticator app").click()
    expect(page.get_by_role("img", name=QR_ALT)).to_be_visible()
    app = Authenticator(read_setup_key(page))
    page.get_by_label("Authentication code").fill(app.code())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    return app, recovery_codes(page)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)


def password_step(page: Page, url: str, email: str) -> dict[str, Any]:
    """Email and password; the server's 403 mfa_required, and the code step it shows."""
    with page.expect_response(lambda r: is_path(r, "/auth/login")) as login:
        sign_in(page, url, email)
    assert login.value.status == 403
    body: dict[str, Any] = login.value.json()
    assert body["code"] == "mfa_required"
    assert body["methods"] == ["totp", "recovery_code"] and body["expires_in"] == 300
    assert "set-cookie" not in login.value.headers
    expect(page.get_by_role("heading", name=CODE_STEP)).to_be_visible()
    expect(page.get_by_label("Authentication code")).to_be_focused()
    return body


def enter_code(page: Page, code: str, label: str = "Authentication code") -> Response:
    """Type a code into the code step and send it; the server's answer."""
    page.get_by_label(label, exact=True).fill(code)
    with page.expect_response(lambda r: is_path(r, "/auth/login/mfa")) as answer:
        page.get_by_role("button", name="Verify").click()
    return answer.value


def use_recovery_code(page: Page, code: str) -> Response:
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.get_by_label("Recovery code", exact=True)).to_be_focused()
    return enter_code(page, code, "Recovery code")


def wait_until_sign_in_is_old(seconds: float = REAUTH_MAX_AGE + 0.5) -> None:
    """Real time passes: the sign-in stops being recent for the server."""
    time.sleep(seconds)


# -- the tests -----------------------------------------------------------------------


def test_setting_up_the_app_and_signing_in_with_its_code(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Security → set up: a QR image with alt text, the key in groups of four, the
    first code confirms it, 10 recovery codes shown once (copy, download). Signing in
    then asks for a code after the password (no cookie before it); a wrong code shows
    the server's message and keeps the step; the right one signs in."""
    server = ui_server()
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    create_account(page, server.url, "tara@example.com")
    expect_plans_page(page)

    section = open_security(page)
    expect(section).to_contain_text("Off.")
    with page.expect_response(lambda r: is_path(r, "/auth/mfa/totp")) as started:
        section.get_by_role("button", name="Set up authenticator app").click()
    assert started.value.status == 200
    setup = started.value.json()
    qr = page.get_by_role("img", name=QR_ALT)
    expect(qr).to_be_visible()
    src = qr.get_attribute("src") or ""
    assert src.startswith("data:image/svg+xml;base64,")
    assert page.locator("svg").count() == 0  # an image, never markup in the page
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # it draws
    secret = read_setup_key(page)
    assert secret == setup["secret"]
    link = page.get_by_role("link", name="Open in an authenticator app on this device")
    expect(link).to_have_attribute("href", setup["otpauth_uri"])
    page.get_by_role("button", name="Copy key").click()
    expect(section.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret

    app = Authenticator(secret)
    page.get_by_label("Authentication code").fill("12345")
    page.get_by_role("button", name="Verify").click()
    expect(section.get_by_role("alert")).to_have_text(
        "Enter the 6-digit code from your authenticator app."
    )
    with page.expect_response(lambda r: is_path(r, "/auth/mfa/totp/confirm")) as confirmed:
        page.get_by_label("Authentication code").fill(app.code())
        page.get_by_role("button", name="Verify").click()
    assert confirmed.value.status == 200
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(section).to_contain_text("this is the only time they are shown")
    codes = recovery_codes(page)
    assert codes == confirmed.value.json()["recovery_codes"]
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(section.get_by_role("status").last).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == "\n".join(codes)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "authgate-recovery-codes.txt"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("authgate recovery codes\nAccount: tara@example.com\n")
    assert text.endswith("\n".join(codes) + "\n")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("list", name="Recovery codes")).to_have_count(0)  # shown once
    expect(section).to_contain_text("On.")
    expect(section.get_by_role("button", name="Regenerate recovery codes")).to_be_visible()

    sign_out(page)
    password_step(page, server.url, "tara@example.com")
    assert ACCESS not in {c["name"] for c in context.cookies()}
    wrong = enter_code(page, app.wrong_code())
    assert wrong.status == 401 and wrong.json()["code"] == "mfa_invalid"
    expect(page.get_by_role("alert")).to_have_text(wrong.json()["detail"])
    expect(page.get_by_role("heading", name=CODE_STEP)).to_be_visible()
    right = enter_code(page, app.code())
    assert right.status == 200
    assert "transport=cookie" in right.url
    assert set(right.json()) == {"token_type", "expires_in"}  # the tokens are in cookies
    expect_plans_page(page)
    assert ACCESS in {c["name"] for c in context.cookies()}
    page.reload()
    expect_plans_page(page)
    expect(open_security(page)).to_contain_text("On.")


def test_recovery_codes_sign_in_once_each_and_new_ones_void_the_old(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """A recovery code signs in instead of the app's code, once; regenerating codes
    (after a confirmation) shows a new set and the old codes stop working."""
    server = ui_server()
    page = new_context().new_page()
    create_account(page, server.url, "ursula@example.com")
    expect_plans_page(page)
    _, codes = set_up_app(page)
    page.get_by_role("button", name="Done").click()

    sign_out(page)
    password_step(page, server.url, "ursula@example.com")
    answer = use_recovery_code(page, codes[0])
    assert answer.status == 200
    expect_plans_page(page)

    sign_out(page)
    password_step(page, server.url, "ursula@example.com")
    used = use_recovery_code(page, codes[0])
    assert used.status == 401 and used.json()["code"] == "mfa_invalid"
    expect(page.get_by_role("alert")).to_have_text(used.json()["detail"])
    expect(page.get_by_label("Recovery code", exact=True)).to_be_visible()
    page.get_by_role("button", name="Use your authenticator app").click()
    expect(page.get_by_label("Authentication code")).to_be_visible()
    page.get_by_role("button", name="Use a recovery code").click()
    assert enter_code(page, f"  {codes[1].upper()} ", "Recovery code").status == 200
    expect_plans_page(page)

    section = open_security(page)
    section.get_by_role("button", name="Regenerate recovery codes").click()
    question = section.get_by_role(
        "group",
        name="Make a new set of recovery codes? The codes you have now stop working.",
    )
    expect(question.get_by_role("button", name="Cancel")).to_be_focused()
    with page.expect_response(lambda r: is_path(r, "/auth/mfa/recovery-codes")) as made:
        question.get_by_role("button", name="Yes, make new codes").click()
    assert made.value.status == 200
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    new_codes = recovery_codes(page)
    assert new_codes == made.value.json()["recovery_codes"]
    assert not set(new_codes) & set(codes)
    page.get_by_role("button", name="Done").click()

    sign_out(page)
    password_step(page, server.url, "ursula@example.com")
    void = use_recovery_code(page, codes[2])  # never used, but from the old set
    assert void.status == 401 and void.json()["code"] == "mfa_invalid"
    expect(page.get_by_role("alert")).to_have_text(void.json()["detail"])
    assert enter_code(page, new_codes[0], "Recovery code").status == 200
    expect_plans_page(page)


def test_turning_the_app_off_then_sign_in_needs_no_code(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Turn off authenticator app asks first (in the page); then the app and its codes
    are gone, the page says so, and the password alone signs in."""
    server = ui_server()
    page = new_context().new_page()
    create_account(page, server.url, "vince@example.com")
    expect_plans_page(page)
    set_up_app(page)
    page.get_by_role("button", name="Done").click()
    section = page.get_by_role("region", name="Authenticator app")
    question = section.get_by_role("group", name="Turn off the authenticator app?")

    section.get_by_role("button", name="Turn off authenticator app").click()
    expect(question.get_by_role("button", name="Cancel")).to_be_focused()
    question.get_by_role("button", name="Cancel").click()  # changed their mind
    expect(question).to_have_count(0)
    expect(section).to_contain_text("On.")

    section.get_by_role("button", name="Turn off authenticator app").click()
    with page.expect_response(lambda r: is_path(r, "/auth/mfa/totp", "DELETE")) as removed:
        question.get_by_role("button", name="Yes, turn it off").click()
    assert removed.value.status == 204
    expect(section.get_by_role("status")).to_have_text(
        "The authenticator app is off. Signing in now asks only for your password."
    )
    expect(section).to_contain_text("Off.")
    expect(section.get_by_role("button", name="Set up authenticator app")).to_be_visible()

    sign_out(page)
    with page.expect_response(lambda r: is_path(r, "/auth/login")) as login:
        sign_in(page, server.url, "vince@example.com")
    assert login.value.status == 200
    expect_plans_page(page)


def test_the_code_step_offers_to_start_over_once_its_token_is_spent(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The mfa token dies after 5 wrong codes (the server then refuses even the right
    one): the page stops asking for codes and offers to start over; starting over
    keeps the email, and password plus code sign in."""
    server = ui_server()
    page = new_context().new_page()
    create_account(page, server.url, "wendy@example.com")
    expect_plans_page(page)
    app, _ = set_up_app(page)
    page.get_by_role("button", name="Done").click()

    sign_out(page)
    password_step(page, server.url, "wendy@example.com")
    for attempt in range(5):
        answer = enter_code(page, app.wrong_code())
        assert answer.status == 401 and answer.json()["code"] == "mfa_invalid", attempt
        expect(page.get_by_role("alert")).to_have_text(answer.json()["detail"])
    expect(page.get_by_role("status")).to_have_text(
        "This sign-in attempt has ended. Start over with your password."
    )
    expect(page.get_by_label("Authentication code")).to_have_count(0)
    start_over = page.get_by_role("button", name="Start over")
    expect(start_over).to_be_focused()
    start_over.click()
    expect(page.get_by_label("Email")).to_have_value("wendy@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=CODE_STEP)).to_be_visible()
    assert enter_code(page, app.code()).status == 200
    expect_plans_page(page)


def test_changing_factors_after_an_old_sign_in_asks_to_confirm_it_is_you(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """With a short AUTHGATE_REAUTH_MAX_AGE, setting up the app once the sign-in is
    old gets 403 reauth_required: the page asks for the password in place (a wrong
    one is refused), signs in again and carries on with the setup. Later, turning the
    app off asks for the password and then a code, and goes on to turn it off."""
    server = ui_server(AUTHGATE_REAUTH_MAX_AGE=str(REAUTH_MAX_AGE))
    context = new_context()
    page = context.new_page()
    create_account(page, server.url, "xena@example.com")
    expect_plans_page(page)
    section = open_security(page)
    wait_until_sign_in_is_old()

    setups: list[int] = []
    page.on("response", lambda r: setups.append(r.status) if is_path(r, "/auth/mfa/totp") else None)
    section.get_by_role("button", name="Set up authenticator app").click()
    confirm = section.get_by_role("region", name=CONFIRM)
    expect(confirm).to_be_visible()
    assert setups == [403]
    expect(confirm.get_by_label("Password")).to_be_focused()
    confirm.get_by_label("Password").fill("not the password")
    confirm.get_by_role("button", name="Confirm").click()
    expect(confirm.get_by_role("alert")).to_have_text("The current password is wrong.")
    access_before = next(c["value"] for c in context.cookies() if c["name"] == ACCESS)
    with page.expect_response(lambda r: is_path(r, "/auth/login")) as login:
        confirm.get_by_label("Password").fill(PASSWORD)
        confirm.get_by_role("button", name="Confirm").click()
    assert login.value.status == 200 and "transport=cookie" in login.value.url
    expect(page.get_by_role("img", name=QR_ALT)).to_be_visible()
    expect(confirm).to_have_count(0)
    assert setups == [403, 200]
    assert next(c["value"] for c in context.cookies() if c["name"] == ACCESS) != access_before
    app = Authenticator(read_setup_key(page))
    page.get_by_label("Authentication code").fill(app.code())
    page.get_by_role("button", name="Verify").click()  # a confirmation needs no recent sign-in
    recovery_codes(page)
    page.get_by_role("button", name="Done").click()

    wait_until_sign_in_is_old()
    section.get_by_role("button", name="Turn off authenticator app").click()
    section.get_by_role("button", name="Yes, turn it off").click()
    expect(confirm).to_be_visible()
    confirm.get_by_label("Password").fill(PASSWORD)
    confirm.get_by_role("button", name="Confirm").click()
    expect(confirm.get_by_role("heading", name=CODE_STEP)).to_be_visible()
    with page.expect_response(lambda r: is_path(r, "/auth/mfa/totp", "DELETE")) as removed:
        confirm.get_by_label("Authentication code").fill(app.code())
        confirm.get_by_role("button", name="Verify").click()
    assert removed.value.status == 204
    expect(section.get_by_role("status")).to_have_text(
        "The authenticator app is off. Signing in now asks only for your password."
    )

    # Cancelling the confirmation leaves everything as it was.
    wait_until_sign_in_is_old()
    section.get_by_role("button", name="Set up authenticator app").click()
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    expect(section.get_by_role("button", name="Set up authenticator app")).to_be_enabled()
    expect(section.get_by_role("alert")).to_have_count(0)


def test_the_security_page_in_korean(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The security page and the code step in Korean (a screenshot of the setup in
    test-artifacts/security-ko.png)."""
    server = ui_server()
    page = new_context(locale="ko-KR").new_page()
    page.goto(server.url)
    page.get_by_role("link", name="가입하기").click()
    page.get_by_label("이메일").fill("yuna@example.com")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()
    expect(page.get_by_role("heading", name="계획")).to_be_visible()

    page.get_by_role("link", name="보안").click()
    expect(page.get_by_role("heading", name="보안", level=1)).to_be_visible()
    section = page.get_by_role("region", name="인증 앱")
    section.get_by_role("button", name="인증 앱 설정하기").click()
    expect(page.get_by_role("img", name="인증 앱으로 스캔할 QR 코드")).to_be_visible()
    app = Authenticator(page.get_by_label("설정 키").input_value().replace(" ", ""))
    page.get_by_label("인증 코드").fill(app.code())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "security-ko.png"), full_page=True)
    page.get_by_role("button", name="확인").click()
    expect(page.get_by_role("heading", name="복구 코드를 저장해 주세요")).to_be_visible()
    codes = page.get_by_role("list", name="복구 코드 목록").get_by_role("listitem")
    expect(codes).to_have_count(10)
    page.get_by_role("button", name="완료").click()
    expect(section).to_contain_text("사용 중입니다.")

    page.get_by_role("button", name="로그아웃", exact=True).click()
    page.get_by_label("이메일").fill("yuna@example.com")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인", exact=True).click()
    expect(page.get_by_role("heading", name="2단계 인증")).to_be_visible()
    page.get_by_label("인증 코드").fill(app.wrong_code())
    page.get_by_role("button", name="확인").click()
    expect(page.get_by_role("alert")).to_have_text("코드가 틀렸거나 이미 사용됐거나 만료됐습니다")
    page.get_by_role("button", name="복구 코드 사용하기").click()
    expect(page.get_by_label("복구 코드", exact=True)).to_be_visible()
    page.get_by_role("button", name="인증 앱 코드 사용하기").click()
    page.get_by_label("인증 코드").fill(app.code())
    page.get_by_role("button", name="확인").click()
    expect(page.get_by_role("heading", name="계획")).to_be_visible()
