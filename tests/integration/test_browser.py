"""The web UI in real headless Chromium against ``authgate serve`` (issue 5): accounts,
plans, cookies, refreshes, sessions and languages, as a person uses them (the shared
fixtures and steps are in ``browser.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.browser import (
    ACCESS,
    ARTIFACTS,
    CSRF,
    PASSWORD,
    REFRESH,
    BrowserContext,
    add_plan,
    assert_no_token_reachable_by_scripts,
    create_account,
    expect,
    expect_plans_page,
    expect_sign_in_page,
    plan_item,
    script_visible_cookies,
    sign_in,
    wait_for_access_cookie_to_expire,
)
from tests.integration.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_create_account_sign_in_and_manage_plans(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """A person creates an account, signs in, adds, completes and deletes plans, reloads."""
    server = ui_server()
    context = new_context()
    page = context.new_page()

    create_account(page, server.url, "alice@example.com")
    expect_plans_page(page)
    expect(page.get_by_text("Signed in as alice@example.com")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)
    assert ACCESS not in {c["name"] for c in context.cookies()}

    sign_in(page, server.url, "alice@example.com", "wrong password!")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect_plans_page(page)

    for title in ("Learn JWT", "Rotate refresh tokens", "Write the README"):
        add_plan(page, title)
        expect(plan_item(page, title)).to_be_visible()
    expect(page.get_by_label("New plan")).to_have_value("")
    plan_item(page, "Learn JWT").get_by_role("checkbox").check()
    expect(plan_item(page, "Learn JWT").get_by_role("checkbox")).to_be_checked()
    plan_item(page, "Write the README").get_by_role("button", name="Delete").click()
    expect(plan_item(page, "Write the README")).to_have_count(0)

    page.reload()
    expect_plans_page(page)
    expect(page.get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_role("listitem")).to_contain_text(["Learn JWT", "Rotate refresh tokens"])
    expect(plan_item(page, "Learn JWT").get_by_role("checkbox")).to_be_checked()
    expect(plan_item(page, "Rotate refresh tokens").get_by_role("checkbox")).not_to_be_checked()
    assert_no_token_reachable_by_scripts(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "plans.png"), full_page=True)


def test_cookies_are_httponly_secure_strict_and_no_token_reaches_scripts(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Tokens live in HttpOnly, Secure, SameSite=Strict cookies with the ``__Host-`` and
    ``__Secure-`` names (Chromium enforces the prefixes); document.cookie shows none."""
    server = ui_server()
    context = new_context()
    page = context.new_page()
    page.goto(server.url)
    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response("**/auth/login*") as login:
        page.get_by_role("button", name="Create account").click()
    assert login.value.status == 200
    assert "transport=cookie" in login.value.url
    assert set(login.value.json()) == {"token_type", "expires_in"}
    expect_plans_page(page)
    add_plan(page, "Check the cookies")
    expect(plan_item(page, "Check the cookies")).to_be_visible()

    cookies = {c["name"]: c for c in context.cookies()}
    assert set(cookies) == {ACCESS, REFRESH, CSRF}
    for name in (ACCESS, REFRESH):
        assert cookies[name]["httpOnly"] is True, name
    assert cookies[CSRF]["httpOnly"] is False
    assert all(c["secure"] and c["sameSite"] == "Strict" for c in cookies.values())
    assert cookies[REFRESH]["path"] == "/auth"
    assert cookies[ACCESS]["path"] == cookies[CSRF]["path"] == "/"
    assert_no_token_reachable_by_scripts(page)


def test_typing_while_a_plan_is_saving_is_kept(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """A person types the next plan while the previous one is still saving (a slow
    network, or a save that first refreshes an expired token): when the save
    finishes, the new text is still in the box. The saved one's text is cleared."""
    server = ui_server()
    context = new_context()
    page = context.new_page()
    create_account(page, server.url, "kate@example.com")
    expect_plans_page(page)

    held: list[Any] = []

    def hold_adds(route: Any) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/plans", hold_adds)
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/plans")):
        add_plan(page, "Saved slowly")
    deadline = time.monotonic() + 10
    while not held:  # the route handler runs on Playwright's next dispatch
        assert time.monotonic() < deadline
        page.wait_for_timeout(20)
    box = page.get_by_label("New plan")
    box.fill("")
    box.press_sequentially("Typed while saving")
    with page.expect_response(lambda r: r.request.method == "POST" and r.status == 201):
        held[0].continue_()
    expect(plan_item(page, "Saved slowly")).to_be_visible()
    expect(box).to_have_value("Typed while saving")

    page.unroute("**/plans")
    page.get_by_role("button", name="Add plan").click()
    expect(plan_item(page, "Typed while saving")).to_be_visible()
    expect(box).to_have_value("")


def test_a_login_form_on_another_site_does_not_sign_the_browser_in(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Login CSRF in a real browser: a page on another site auto-submits a form with
    the attacker's credentials to ``/auth/login?transport=cookie``. Chromium sends
    its Origin (and Sec-Fetch-Site: cross-site); authgate refuses it, and the
    browser is left without the attacker's session cookies."""
    server = ui_server()
    context = new_context()
    page = context.new_page()
    create_account(page, server.url, "mallory@example.com")
    expect_plans_page(page)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)

    action = f"{server.url.rstrip('/')}/auth/login?transport=cookie"
    evil = (
        f'<form method="post" action="{action}">'
        '<input name="username" value="mallory@example.com">'
        f'<input name="password" value="{PASSWORD}"></form>'
        "<script>document.forms[0].submit()</script>"
    )
    context.route(
        "http://evil.example/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=evil),
    )
    with page.expect_response(lambda r: "/auth/login" in r.url) as login:
        page.goto("http://evil.example/win-a-prize")
    assert login.value.status == 403
    assert login.value.json()["code"] == "csrf_failed"
    assert login.value.request.headers.get("origin") == "http://evil.example"
    assert {c["name"] for c in context.cookies()} == set()


def test_plain_http_development_server_uses_the_plain_cookie_names(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """With AUTHGATE_COOKIE_SECURE=false (``make run``) the cookies have the plain
    names, and the page finds its CSRF cookie under that name: adding and deleting
    a plan (POST, DELETE) and signing out work."""
    server = ui_server(AUTHGATE_COOKIE_SECURE="false")
    context = new_context()
    page = context.new_page()
    create_account(page, server.url, "leo@example.com")
    expect_plans_page(page)
    add_plan(page, "Over plain http")
    expect(plan_item(page, "Over plain http")).to_be_visible()
    plan_item(page, "Over plain http").get_by_role("button", name="Delete").click()
    expect(plan_item(page, "Over plain http")).to_have_count(0)
    cookies = {c["name"]: c for c in context.cookies()}
    assert set(cookies) == {"access_token", "refresh_token", "csrf_token"}
    assert not any(c["secure"] for c in cookies.values())
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)
    assert context.cookies() == []


def test_clear_messages_for_validation_and_a_taken_email(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """A bad email, a short password and a taken email each get their own message."""
    server = ui_server()
    page = new_context().new_page()
    create_account(page, server.url, "carol@example.com")
    expect_plans_page(page)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)

    create_account(page, server.url, "not-an-email")
    expect(page.get_by_role("alert")).to_have_text(
        "Enter a valid email address, like name@example.com."
    )
    page.get_by_label("Email").fill("dave@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The password must be 8 to 1024 characters long."
    )
    page.get_by_label("Email").fill("CAROL@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("An account with this email already exists.")


def test_expired_access_token_is_refreshed_without_the_user_noticing(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """With a 2 s access TTL, work goes on after expiry: one refresh, then the retry."""
    server = ui_server(AUTHGATE_ACCESS_TTL="2")
    context = new_context()
    page = context.new_page()
    refreshes: list[int] = []
    page.on(
        "response",
        lambda r: refreshes.append(r.status) if "/auth/refresh" in r.url else None,
    )
    create_account(page, server.url, "erin@example.com")
    expect_plans_page(page)
    add_plan(page, "Before expiry")
    expect(plan_item(page, "Before expiry")).to_be_visible()
    csrf_before = script_visible_cookies(page)

    wait_for_access_cookie_to_expire(context)
    add_plan(page, "After expiry")
    expect(plan_item(page, "After expiry")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert refreshes == [200]
    assert script_visible_cookies(page) != csrf_before  # the refresh renewed the csrf cookie

    wait_for_access_cookie_to_expire(context)
    page.reload()
    expect_plans_page(page)
    expect(page.get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_role("listitem")).to_contain_text(["Before expiry", "After expiry"])
    assert len(refreshes) >= 2 and set(refreshes) == {200}
    assert_no_token_reachable_by_scripts(page)


def test_two_tabs_refreshing_at_once_stay_signed_in(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Two tabs hit the expired token together; the Web Lock lets only one refresh."""
    server = ui_server(AUTHGATE_ACCESS_TTL="2")
    context = new_context()
    first, second = context.new_page(), context.new_page()
    create_account(first, server.url, "frank@example.com")
    expect_plans_page(first)
    second.goto(server.url)
    expect_plans_page(second)

    # Hold the first tab's refresh until the second tab has also been refused, so the
    # two refreshes overlap every time (without the lock, the second tab would present
    # the same refresh token and the reuse would revoke the session).
    held: list[Any] = []
    refresh_requests: list[str] = []

    def on_refresh(route: Any) -> None:
        refresh_requests.append(route.request.url)
        if not held:
            held.append(route)
        else:
            route.continue_()

    context.route("**/auth/refresh*", on_refresh)
    wait_for_access_cookie_to_expire(context)
    with first.expect_request("**/auth/refresh*"):
        add_plan(first, "From the first tab")
    with second.expect_response(lambda r: "/plans" in r.url and r.status == 401):
        add_plan(second, "From the second tab")
    deadline = time.monotonic() + 10
    while not held:  # the route handler runs on Playwright's next dispatch
        assert time.monotonic() < deadline
        first.wait_for_timeout(20)
    held[0].continue_()

    expect(plan_item(first, "From the first tab")).to_be_visible()
    expect(plan_item(second, "From the second tab")).to_be_visible()
    assert len(refresh_requests) == 1  # the second tab waited, then saw the new cookie
    for page in (first, second):
        page.reload()  # (the token may have expired again: any refresh here is fine)
        expect_plans_page(page)
        expect(page.get_by_role("listitem")).to_have_count(2)


def test_sign_out_everywhere_signs_out_another_browser(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Signing out everywhere in one browser ends the session of another."""
    server = ui_server()
    laptop, phone = new_context().new_page(), new_context().new_page()
    create_account(laptop, server.url, "grace@example.com")
    expect_plans_page(laptop)
    sign_in(phone, server.url, "grace@example.com")
    expect_plans_page(phone)
    add_plan(phone, "On the phone")
    expect(plan_item(phone, "On the phone")).to_be_visible()

    laptop.get_by_role("button", name="Sign out everywhere").click()
    expect_sign_in_page(laptop)

    add_plan(phone, "After the laptop signed out everywhere")
    expect_sign_in_page(phone)
    expect(phone.get_by_role("status")).to_have_text(
        "You have been signed out. Please sign in again."
    )
    phone.reload()
    expect_sign_in_page(phone)


def test_sessions_page_lists_and_revokes_a_session(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The sessions page shows both browsers, marks this one, and revokes the other."""
    server = ui_server()
    laptop, phone = new_context().new_page(), new_context().new_page()
    create_account(laptop, server.url, "heidi@example.com")
    expect_plans_page(laptop)
    sign_in(phone, server.url, "heidi@example.com")
    expect_plans_page(phone)

    laptop.get_by_role("link", name="Sessions").click()
    sessions = laptop.get_by_role("list", name="Sessions").get_by_role("listitem")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="This browser")).to_have_count(1)
    sessions.filter(has_not_text="This browser").get_by_role("button").click()
    expect(sessions).to_have_count(1)

    phone.reload()
    expect_sign_in_page(phone)
    laptop.reload()
    expect(sessions).to_have_count(1)


def test_expired_session_sends_the_user_to_sign_in_with_a_message(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """When the refresh fails too, the page says the session expired and asks to sign in."""
    server = ui_server(AUTHGATE_ACCESS_TTL="2")
    context = new_context()
    page = context.new_page()
    create_account(page, server.url, "ivan@example.com")
    expect_plans_page(page)
    # The session ends server-side while this browser still holds its cookies.
    refresh = next(c for c in context.cookies() if c["name"] == REFRESH)
    context.clear_cookies(name=REFRESH)
    context.add_cookies([{**refresh, "value": "not-a-valid-refresh-token"}])
    wait_for_access_cookie_to_expire(context)

    add_plan(page, "Too late")
    expect_sign_in_page(page)
    expect(page.get_by_role("status")).to_have_text(
        "Your session has expired. Please sign in again."
    )


def test_korean_when_the_browser_prefers_it(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """With a Korean browser, labels and messages are Korean."""
    server = ui_server()
    page = new_context(locale="ko-KR").new_page()
    page.goto(server.url)
    expect(page.get_by_role("button", name="로그인", exact=True)).to_be_visible()
    page.get_by_role("link", name="가입하기").click()
    expect(page.get_by_role("heading", name="계정 만들기")).to_be_visible()
    page.get_by_label("이메일").fill("judy@example.com")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()
    expect(page.get_by_role("heading", name="계획")).to_be_visible()
    page.get_by_label("새 계획").fill("한국어 계획 세우기")
    page.get_by_role("button", name="계획 추가").click()
    expect(plan_item(page, "한국어 계획 세우기")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "plans-ko.png"), full_page=True)

    page.get_by_role("button", name="로그아웃", exact=True).click()
    page.get_by_label("이메일").fill("judy@example.com")
    page.get_by_label("비밀번호").fill("wrong password!")
    page.get_by_role("button", name="로그인", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("이메일 또는 비밀번호가 틀렸습니다.")
