"""Account recovery and email in the web UI (issue 13), in real headless Chromium.

``authgate serve`` sends its mail to a real SMTP server (aiosmtpd in its own
process, ``tests/mailserver.py``); a test reads the mail there and opens its link in
the page, as a person would. The links are hash routes
(``{PUBLIC_URL}/#/reset-password?token=…``), so the token never reaches the server
in a URL: only in a POST body, and afterwards the page takes it out of the address
bar. Same browser, helpers and conventions as the other browser tests (browser.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest

from tests.integration.browser import (
    ARTIFACTS,
    PASSWORD,
    BrowserContext,
    Page,
    Request,
    create_account,
    expect,
    expect_plans_page,
    expect_sign_in_page,
    servers_per_environment,
    sign_in,
)
from tests.integration.conftest import Server
from tests.mailserver import MailServer, links_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PASSWORD = "a brand new passphrase"
BANNER = "Address verification"  # the unverified-address banner's region


# -- the servers: one mail server and authgate(s) sending to it, per module ----------


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    """A plain SMTP server for the whole module (``mail_server`` is per test, and the
    authgate processes below outlive a test)."""
    server = MailServer(tmp_path_factory.mktemp("mail"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def recovery_server(
    mail: MailServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Server]]:
    """``authgate serve`` mailing through ``mail``, its links pointing at itself, with
    the given environment overrides; one per set of overrides, each with its own
    database (tests use their own accounts)."""
    smtp = {"AUTHGATE_SMTP_URL": mail.url}
    with servers_per_environment(tmp_path_factory, public_url=True, **smtp) as start:
        yield start


# -- helpers -------------------------------------------------------------------------


def link_to(message: EmailMessage, route: str, server: Server) -> str:
    """The message's one link to ``route`` (e.g. "reset-password") on ``server``."""
    prefix = f"{server.url}/#/{route}?token="
    links = [link for link in links_in(message) if link.startswith(prefix)]
    assert len(links) == 1, (prefix, links_in(message))
    return links[0]


def token_of(link: str) -> str:
    return link.split("?token=", 1)[1]


def record_requests(page: Page) -> list[Request]:
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    return requests


def assert_token_only_in_a_post_body(requests: list[Request], token: str, path: str) -> None:
    """The token went to the server once, in the body of POST ``path``; never in a URL."""
    assert not [r.url for r in requests if token in r.url]
    carrying = [r for r in requests if token in (r.post_data or "")]
    assert [(r.method, r.url.split("?")[0].endswith(path)) for r in carrying] == [("POST", True)]


def expect_verified(page: Page) -> None:
    """The verify page's answer (the banner, while it lasts, may have a status too)."""
    expect(page.get_by_role("main").get_by_role("status")).to_have_text(
        "Your email address is verified."
    )


def go_to_settings(page: Page) -> None:
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


# -- the tests -----------------------------------------------------------------------


def test_a_forgotten_password_is_reset_from_the_mailed_link(
    recovery_server: Callable[..., Server],
    mail: MailServer,
    new_context: Callable[..., BrowserContext],
) -> None:
    """Forgot password → the mail → its link → a new password: the new one signs in,
    the old one does not, and the spent link is refused with a way to a new one."""
    server = recovery_server()
    page = new_context().new_page()
    create_account(page, server.url, "rita@example.com")
    expect_plans_page(page)
    mail.wait_for("rita@example.com")  # the registration's verification mail
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)

    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    sent = (
        "If an account exists for that address, we sent a link to it. "
        "Open it to set a new password; it works for a limited time only."
    )
    page.get_by_label("Email").fill("nobody@example.com")  # no account: the same answer
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status")).to_have_text(sent)
    page.get_by_label("Email").fill("rita@example.com")
    with page.expect_response("**/auth/password/forgot") as forgot:
        page.get_by_role("button", name="Send reset link").click()
    assert forgot.value.status == 202
    assert forgot.value.json() == {}
    expect(page.get_by_role("status")).to_have_text(sent)
    reset = mail.wait_for("rita@example.com", count=2)[1]
    link = link_to(reset, "reset-password", server)

    requests = record_requests(page)
    page.goto(link)
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The password must be 8 to 1024 characters long."
    )
    page.get_by_label("New password").fill(NEW_PASSWORD)
    with page.expect_response("**/auth/password/reset") as answer:
        page.get_by_role("button", name="Set password").click()
    assert answer.value.status == 204
    expect_sign_in_page(page)
    expect(page.get_by_role("status")).to_have_text(
        "Your password has been changed and every device was signed out. "
        "Sign in with the new password."
    )
    assert page.url.endswith("/#/signin")  # the token's history entry was replaced
    assert_token_only_in_a_post_body(requests, token_of(link), "/auth/password/reset")

    page.get_by_label("Email").fill("rita@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")

    page.goto(link)  # the spent link, again
    page.get_by_label("New password").fill("yet another passphrase")
    with page.expect_response("**/auth/password/reset") as refused:
        page.get_by_role("button", name="Set password").click()
    assert refused.value.status == 400
    assert refused.value.json()["code"] == "link_invalid"
    expect(page.get_by_role("alert")).to_have_text(
        "This link can no longer be used: it has expired, was used already, "
        "or a newer link was sent since."
    )
    assert "token=" not in page.url
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()

    sign_in(page, server.url, "rita@example.com", NEW_PASSWORD)
    expect_plans_page(page)


def test_registration_mails_a_link_that_verifies_the_address(
    recovery_server: Callable[..., Server],
    mail: MailServer,
    new_context: Callable[..., BrowserContext],
) -> None:
    """Registering mails a verification link; until it is opened every signed-in page
    has a banner with a resend button; opening the link verifies, and the banner goes."""
    server = recovery_server()
    page = new_context().new_page()
    create_account(page, server.url, "vera@example.com")
    expect_plans_page(page)
    mail.wait_for("vera@example.com")
    banner = page.get_by_role("region", name=BANNER)
    expect(banner).to_contain_text("Your email address vera@example.com is not verified yet.")
    page.get_by_role("link", name="Sessions").click()
    expect(banner).to_be_visible()

    with page.expect_response("**/auth/email/verify/resend") as resend:
        banner.get_by_role("button", name="Resend verification email").click()
    assert resend.value.status == 202
    assert resend.value.json() == {}
    expect(banner.get_by_role("status")).to_have_text(
        "We sent a new verification link to vera@example.com."
    )
    latest = mail.wait_for("vera@example.com", count=2)[1]
    link = link_to(latest, "verify-email", server)

    requests = record_requests(page)
    page.goto(link)
    expect_verified(page)
    expect(banner).to_have_count(0)
    assert "token=" not in page.url
    assert_token_only_in_a_post_body(requests, token_of(link), "/auth/email/verify")
    page.get_by_role("link", name="Continue").click()
    expect_plans_page(page)
    page.reload()
    expect_plans_page(page)
    expect(banner).to_have_count(0)


def test_a_new_address_takes_effect_when_its_link_is_opened(
    recovery_server: Callable[..., Server],
    mail: MailServer,
    new_context: Callable[..., BrowserContext],
) -> None:
    """Settings → Change email: a wrong password is refused; then a confirmation goes
    to the new address and a notice to the old; nothing changes until the link is
    opened, and then the header shows the new address, which signs in."""
    server = recovery_server()
    page = new_context().new_page()
    create_account(page, server.url, "walt@example.com")
    expect_plans_page(page)
    mail.wait_for("walt@example.com")  # verification of the first address
    go_to_settings(page)
    section = page.get_by_role("region", name="Change email")

    section.get_by_label("New email").fill("walter@example.com")
    section.get_by_label("Current password").fill("not the password")
    section.get_by_role("button", name="Change email").click()
    expect(section.get_by_role("alert")).to_have_text("The current password is wrong.")

    section.get_by_label("Current password").fill(PASSWORD)
    with page.expect_response("**/auth/email") as change:
        section.get_by_role("button", name="Change email").click()
    assert change.value.status == 202
    assert change.value.json() == {}
    expect(section.get_by_role("status")).to_contain_text(
        "We sent a confirmation link to walter@example.com."
    )
    confirmation = mail.wait_for("walter@example.com")[0]
    notice = mail.wait_for("walt@example.com", count=2)[1]
    assert not [link for link in links_in(notice) if "token=" in link]
    link = link_to(confirmation, "verify-email", server)
    page.reload()
    expect(page.get_by_text("Signed in as walt@example.com")).to_be_visible()

    page.goto(link)
    expect_verified(page)
    expect(page.get_by_text("Signed in as walter@example.com")).to_be_visible()
    expect(page.get_by_role("region", name=BANNER)).to_have_count(0)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)  # the logout answered: its cookies are cleared
    sign_in(page, server.url, "walt@example.com")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    sign_in(page, server.url, "walter@example.com")
    expect_plans_page(page)
    expect(page.get_by_text("Signed in as walter@example.com")).to_be_visible()


def test_deleting_the_account_asks_first_and_then_it_is_gone(
    recovery_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Settings → Delete account: a second, explicit step; a wrong password is
    refused; then the account is gone, the cookies cleared, and it cannot sign in."""
    server = recovery_server()
    context = new_context()
    page = context.new_page()
    create_account(page, server.url, "dora@example.com")
    expect_plans_page(page)
    go_to_settings(page)
    section = page.get_by_role("region", name="Delete account")
    question = section.get_by_role(
        "group", name="Delete your account and everything in it for good?"
    )

    section.get_by_label("Current password").fill(PASSWORD)
    section.get_by_role("button", name="Delete account", exact=True).click()
    expect(question).to_be_visible()
    expect(question.get_by_role("button", name="Cancel")).to_be_focused()
    question.get_by_role("button", name="Cancel").click()  # changed their mind
    expect(question).to_have_count(0)

    section.get_by_label("Current password").fill("not the password")
    section.get_by_role("button", name="Delete account", exact=True).click()
    question.get_by_role("button", name="Yes, delete my account").click()
    expect(section.get_by_role("alert")).to_have_text("The current password is wrong.")
    page.reload()
    expect(page.get_by_text("Signed in as dora@example.com")).to_be_visible()

    section.get_by_label("Current password").fill(PASSWORD)
    section.get_by_role("button", name="Delete account", exact=True).click()
    deleted = lambda r: r.url.endswith("/auth/me") and r.request.method == "DELETE"  # noqa: E731
    with page.expect_response(deleted) as gone:
        question.get_by_role("button", name="Yes, delete my account").click()
    assert gone.value.status == 204
    expect_sign_in_page(page)
    expect(page.get_by_role("status")).to_have_text("Your account has been deleted.")
    assert [c["name"] for c in context.cookies() if "token" in c["name"]] == []

    sign_in(page, server.url, "dora@example.com")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_an_unverified_address_cannot_sign_in_where_verification_is_required(
    recovery_server: Callable[..., Server],
    mail: MailServer,
    new_context: Callable[..., BrowserContext],
) -> None:
    """With AUTHGATE_REQUIRE_VERIFIED_EMAIL, creating an account leads to sign-in with
    word of the link; signing in first shows the server's message (403
    email_unverified); the link, opened signed out, verifies; then sign-in works."""
    server = recovery_server(AUTHGATE_REQUIRE_VERIFIED_EMAIL="true")
    page = new_context().new_page()
    create_account(page, server.url, "uma@example.com")
    expect_sign_in_page(page)
    expect(page.get_by_role("status")).to_have_text(
        "Account created. Open the link we sent to uma@example.com to verify the address, "
        "then sign in."
    )
    page.get_by_label("Email").fill("uma@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response("**/auth/login*") as login:
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert login.value.status == 403
    assert login.value.json()["code"] == "email_unverified"
    expect(page.get_by_role("alert")).to_have_text(login.value.json()["detail"])

    link = link_to(mail.wait_for("uma@example.com")[0], "verify-email", server)
    page.goto(link)
    expect_verified(page)
    page.get_by_role("link", name="Go to sign-in").click()
    page.get_by_label("Email").fill("uma@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect_plans_page(page)


def test_the_new_pages_in_korean(
    recovery_server: Callable[..., Server],
    mail: MailServer,
    new_context: Callable[..., BrowserContext],
) -> None:
    """The settings, verify, forgot-password and reset pages in Korean (screenshots in
    test-artifacts/), walked through once: verify, sign out, reset, sign in."""
    server = recovery_server()
    page = new_context(locale="ko-KR").new_page()
    page.goto(server.url)
    page.get_by_role("link", name="가입하기").click()
    page.get_by_label("이메일").fill("minji@example.com")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()
    expect(page.get_by_role("heading", name="계획")).to_be_visible()
    banner = page.get_by_role("region", name="주소 인증 안내")
    expect(banner.get_by_role("button", name="인증 메일 다시 보내기")).to_be_visible()
    page.get_by_role("link", name="설정").click()
    expect(page.get_by_role("region", name="이메일 변경")).to_be_visible()
    expect(page.get_by_role("region", name="계정 삭제")).to_be_visible()
    screenshot(page, "settings-ko.png")

    page.goto(link_to(mail.wait_for("minji@example.com")[0], "verify-email", server))
    expect(page.get_by_role("main").get_by_role("status")).to_have_text(
        "이메일 주소가 인증됐습니다."
    )
    expect(banner).to_have_count(0)
    screenshot(page, "verify-email-ko.png")

    page.get_by_role("button", name="로그아웃", exact=True).click()
    page.get_by_role("link", name="비밀번호를 잊으셨나요?").click()
    # The sign-in page's field has the same name: fill only once the page changed.
    expect(page.get_by_role("heading", name="비밀번호 재설정")).to_be_visible()
    page.get_by_label("이메일").fill("minji@example.com")
    page.get_by_role("button", name="재설정 링크 보내기").click()
    expect(page.get_by_role("status")).to_contain_text("해당 주소로 가입된 계정이 있다면")
    screenshot(page, "forgot-password-ko.png")

    page.goto(link_to(mail.wait_for("minji@example.com", count=2)[1], "reset-password", server))
    expect(page.get_by_role("heading", name="새 비밀번호 설정")).to_be_visible()
    page.get_by_label("새 비밀번호").fill(NEW_PASSWORD)
    screenshot(page, "reset-password-ko.png")
    page.get_by_role("button", name="비밀번호 설정").click()
    expect(page.get_by_role("status")).to_have_text(
        "비밀번호가 변경되어 모든 기기에서 로그아웃됐습니다. 새 비밀번호로 로그인하세요."
    )
    page.get_by_label("이메일").fill("minji@example.com")
    page.get_by_label("비밀번호").fill(NEW_PASSWORD)
    page.get_by_role("button", name="로그인", exact=True).click()
    expect(page.get_by_role("heading", name="계획")).to_be_visible()
