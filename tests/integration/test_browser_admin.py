"""The admin page and the security page's "Recent activity" (issue 15, API.md §3.3),
in real headless Chromium against ``authgate serve``.

An operator makes a user an admin with the CLI (``authgate user role EMAIL add admin``,
with the server's environment), as in tests/ops/test_roles.py. The admin and the
user they act on each have their own browser context (their own cookies), so what
the admin does is seen from the other person's browser: disabled, they are signed
out at their next request and cannot sign in; enabled, they can; their sessions
ended, they are signed out. Same browser, server fixture, helpers and conventions as
the other browser tests (browser.py).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.integration.browser import (
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
from tests.integration.conftest import AUTHGATE, Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOT_ALLOWED = "This page is for administrators only."
DISABLED = "This account is disabled."
SIGNED_OUT = "You have been signed out. Please sign in again."
CONFIRM = "Confirm it's you"
REAUTH_MAX_AGE = 2


# -- helpers: what an operator, an admin and a user do --------------------------------


def make_admin(server: Server, email: str) -> None:
    """``authgate user role EMAIL add admin``, run by an operator beside the server."""
    result = subprocess.run(
        [AUTHGATE, "user", "role", email, "add", "admin"],
        env=server.env,
        cwd=server.cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "roles admin" in result.stdout, result.stdout


def is_path(response: Response, path: str, method: str = "GET") -> bool:
    return urlparse(response.url).path == path and response.request.method == method


def admin_link(page: Page) -> Locator:
    return page.get_by_role("navigation").get_by_role("link", name="Admin", exact=True)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_sign_in_page(page)


def open_admin(page: Page) -> None:
    admin_link(page).click()
    expect(page.get_by_role("heading", name="Admin", level=1)).to_be_visible()


def search_users(page: Page, prefix: str) -> Locator:
    """Search users by the start of their address; the results list."""
    box = page.get_by_role("searchbox", name="Search users")
    box.fill(prefix)
    with page.expect_response(lambda r: is_path(r, "/admin/users")) as answer:
        box.press("Enter")
    assert answer.value.status == 200
    assert parse_qs(urlparse(answer.value.url).query)["q"] == [prefix]
    return page.get_by_role("list", name="Users")


def open_user(page: Page, email: str) -> Locator:
    """Search by the address's first letters and open the account; its region."""
    users = search_users(page, email[:5])
    with page.expect_response(lambda r: urlparse(r.url).path.startswith("/admin/users/")):
        users.get_by_role("button", name=email, exact=True).click()
    detail = page.get_by_role("region", name=email, exact=True)
    expect(detail).to_be_visible()
    return detail


def confirm(page: Page, detail: Locator, button: str, yes: str, question: str, path: str) -> None:
    """Press an action's button and answer its in-page question (Cancel, the harmless
    answer, has the focus) yes: the server answers the request (``path``'s end) 204."""
    detail.get_by_role("button", name=button, exact=True).click()
    group = detail.get_by_role("group", name=question)
    expect(group.get_by_role("button", name="Cancel", exact=True)).to_be_focused()
    with page.expect_response(lambda r: urlparse(r.url).path.endswith(path)) as done:
        group.get_by_role("button", name=yes, exact=True).click()
    assert done.value.status == 204, done.value.text()
    expect(group).to_have_count(0)


def next_request_is_refused(page: Page) -> None:
    """The person's next API call (opening Sessions) is answered 401: to sign in."""
    with page.expect_response(lambda r: is_path(r, "/auth/sessions")) as answer:
        page.get_by_role("link", name="Sessions", exact=True).click()
    assert answer.value.status == 401, answer.value.text()
    assert answer.value.json()["code"] == "token_revoked"
    expect_sign_in_page(page)
    expect(page.get_by_role("status").or_(page.get_by_role("alert"))).to_have_text(SIGNED_OUT)


def api_login(server: Server, email: str) -> None:
    """A sign-in through the API (tokens in the body), as another app would."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text


# -- the tests -----------------------------------------------------------------------


def test_an_admin_disables_enables_and_signs_out_a_user(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Admin → Search users → the user: Disable account (asked first) signs the user
    out at their next request and refuses their sign-in with the disabled message;
    Enable account lets them in again; Sign out all sessions (asked first) signs them
    out; Remove second factors (asked first) answers 204. Each action reloads the
    account, its events name the admin. Disabling one's own account shows the
    server's refusal."""
    server = ui_server()
    admin = new_context().new_page()
    create_account(admin, server.url, "boss@example.com")
    expect_plans_page(admin)
    expect(admin_link(admin)).to_have_count(0)  # not an admin yet
    make_admin(server, "boss@example.com")
    sign_out(admin)
    sign_in(admin, server.url, "boss@example.com")
    expect_plans_page(admin)
    expect(admin_link(admin)).to_be_visible()

    user = new_context().new_page()
    create_account(user, server.url, "target@example.com")
    expect_plans_page(user)
    expect(admin_link(user)).to_have_count(0)

    open_admin(admin)
    users = search_users(admin, "targ")
    expect(users.get_by_role("listitem")).to_have_count(1)  # boss@ does not start so
    expect(users.get_by_role("button", name="target@example.com", exact=True)).to_be_visible()
    detail = open_user(admin, "target@example.com")
    expect(detail).to_contain_text("Active")
    expect(detail.get_by_role("list", name="Sessions").get_by_role("listitem")).to_have_count(1)
    events = detail.get_by_role("list", name="Events of target@example.com")
    expect(events.get_by_role("listitem").first).to_contain_text("Signed in")
    expect(events).to_contain_text("Account created")
    expect(detail.get_by_role("button", name="Enable account", exact=True)).to_have_count(0)

    # Cancelling the question changes nothing.
    detail.get_by_role("button", name="Disable account", exact=True).click()
    question = detail.get_by_role("group", name="Disable target@example.com?")
    question.get_by_role("button", name="Cancel", exact=True).click()
    expect(question).to_have_count(0)
    expect(detail).to_contain_text("Active")

    confirm(
        admin,
        detail,
        "Disable account",
        "Yes, disable it",
        "Disable target@example.com?",
        "/disable",
    )
    expect(detail.get_by_role("status")).to_have_text(
        "The account is disabled and every session of it has ended."
    )
    expect(detail.get_by_role("button", name="Enable account", exact=True)).to_be_visible()
    expect(detail.get_by_role("button", name="Disable account", exact=True)).to_have_count(0)
    expect(detail).to_contain_text("Disabled since")
    expect(detail).to_contain_text("No active sessions.")
    expect(users.get_by_role("listitem").first).to_contain_text("Disabled")  # its row too
    expect(events.get_by_role("listitem").first).to_contain_text("Account disabled")
    expect(events.get_by_role("listitem").first).to_contain_text("by an administrator")

    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)

    next_request_is_refused(user)
    with user.expect_response(lambda r: is_path(r, "/auth/login", "POST")) as refused:
        sign_in(user, server.url, "target@example.com")
    assert refused.value.status == 403 and refused.value.json()["code"] == "account_disabled"
    expect(user.get_by_role("alert")).to_have_text(DISABLED)

    with admin.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/enable")
    ) as enabled:
        detail.get_by_role("button", name="Enable account", exact=True).click()  # no question
    assert enabled.value.status == 204
    expect(detail.get_by_role("status")).to_have_text(
        "The account is enabled: it can sign in again."
    )
    expect(detail.get_by_role("button", name="Disable account", exact=True)).to_be_visible()
    expect(events.get_by_role("listitem").first).to_contain_text("Account enabled")
    sign_in(user, server.url, "target@example.com")
    expect_plans_page(user)

    confirm(
        admin,
        detail,
        "Sign out all sessions",
        "Yes, sign out all",
        "Sign target@example.com out of every session?",
        "/sessions",
    )
    expect(detail.get_by_role("status")).to_have_text("Every session of the account has ended.")
    expect(detail).to_contain_text("No active sessions.")
    expect(events.get_by_role("listitem").first).to_contain_text("All sessions ended")
    next_request_is_refused(user)

    confirm(
        admin,
        detail,
        "Remove second factors",
        "Yes, remove them",
        "Remove the authenticator app, recovery codes and passkeys of target@example.com?",
        "/mfa",
    )
    expect(detail.get_by_role("status")).to_have_text(
        "The second factors of the account are removed."
    )

    # An admin cannot disable their own account: the server says so, the page shows it.
    own = open_user(admin, "boss@example.com")
    expect(own).to_contain_text("This is your own account.")
    own.get_by_role("button", name="Disable account", exact=True).click()
    with admin.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/disable")
    ) as forbidden:
        own.get_by_role("button", name="Yes, disable it", exact=True).click()
    assert forbidden.value.status == 403
    body = forbidden.value.json()
    assert body["code"] == "forbidden" and body["detail"]
    expect(own.get_by_role("alert")).to_have_text(body["detail"])
    expect(own).to_contain_text("Active")

    # Signed in again, the user sees their account's story on their security page.
    sign_in(user, server.url, "target@example.com")
    expect_plans_page(user)
    user.get_by_role("link", name="Security", exact=True).click()
    activity = user.get_by_role("region", name="Recent activity")
    items = activity.get_by_role("list", name="Recent activity").get_by_role("listitem")
    expect(items.first).to_contain_text("Signed in")
    for label in ("Account disabled", "Account enabled", "All sessions ended", "Account created"):
        expect(activity).to_contain_text(label)

    # The admin's own security page: their sign-in, newest first, with where from.
    admin.get_by_role("link", name="Security", exact=True).click()
    mine = admin.get_by_role("region", name="Recent activity")
    latest = mine.get_by_role("list", name="Recent activity").get_by_role("listitem").first
    expect(latest).to_contain_text("Signed in")
    expect(latest).to_contain_text("127.0.0.1")
    expect(latest).to_contain_text("Chromium")
    expect(mine).to_contain_text("Signed out")
    expect(mine).to_contain_text("Account created")
    admin.screenshot(path=str(ARTIFACTS / "recent-activity.png"), full_page=True)


def test_a_user_who_is_not_an_admin_has_no_admin_page(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """No Admin link for a user without the role (the server refuses the UI's question
    with 403 forbidden); the page opened by its address says it is for administrators
    and offers no search. Once the role is taken back, an admin's page says so too."""
    server = ui_server()
    page = new_context().new_page()
    answers: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.status, r.json()["code"]))
            if is_path(r, "/admin/users") and r.status != 200
            else None
        ),
    )
    create_account(page, server.url, "plain@example.com")
    expect_plans_page(page)
    expect(page.get_by_role("link", name="Settings", exact=True)).to_be_visible()
    expect(admin_link(page)).to_have_count(0)

    page.goto(f"{server.url}/#/admin")
    expect(page.get_by_role("heading", name="Admin", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(NOT_ALLOWED)
    expect(page.get_by_role("searchbox", name="Search users")).to_have_count(0)
    expect(admin_link(page)).to_have_count(0)
    assert answers and set(answers) == {(403, "forbidden")}


def test_recent_activity_pages_with_show_more(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """More events than a page (20): the list shows the newest 20 and "Show more";
    that adds the rest in order, and goes once there is no next page. In Korean, the
    section and its labels are Korean."""
    server = ui_server()
    page = new_context(locale="ko-KR").new_page()
    page.goto(server.url)
    page.get_by_role("link", name="가입하기").click()
    page.get_by_label("이메일").fill("many@example.com")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()
    expect(page.get_by_role("heading", name="계획")).to_be_visible()
    for _ in range(21):
        api_login(server, "many@example.com")

    with page.expect_response(lambda r: is_path(r, "/auth/events")) as first:
        page.get_by_role("link", name="보안", exact=True).click()
    assert parse_qs(urlparse(first.value.url).query) == {"limit": ["20"]}
    assert first.value.json()["next_cursor"]
    activity = page.get_by_role("region", name="최근 활동")
    items = activity.get_by_role("list", name="최근 활동").get_by_role("listitem")
    expect(items).to_have_count(20)
    expect(items.first).to_contain_text("로그인")
    with page.expect_response(lambda r: is_path(r, "/auth/events")) as second:
        activity.get_by_role("button", name="더 보기", exact=True).click()
    assert "cursor" in parse_qs(urlparse(second.value.url).query)
    assert second.value.json()["next_cursor"] is None
    assert len(second.value.json()["events"]) == 3
    expect(items).to_have_count(23)  # registered, and 1 + 21 sign-ins
    expect(items.last).to_contain_text("계정 생성")
    expect(activity.get_by_role("button", name="더 보기", exact=True)).to_have_count(0)


def test_an_account_deleted_meanwhile_is_gone_from_the_admin_page(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The account the admin has open deletes itself; the admin's next action on it is
    answered 404 not_found: the page says the user no longer exists, closes it and
    searches again."""
    server = ui_server()
    admin = new_context().new_page()
    create_account(admin, server.url, "chief@example.com")
    expect_plans_page(admin)
    make_admin(server, "chief@example.com")
    admin.reload()  # the link shows once the server says this user is an admin
    expect(admin_link(admin)).to_be_visible()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        created = http.post(
            "/auth/register", json={"email": "leaver@example.com", "password": PASSWORD}
        )
        assert created.status_code == 201, created.text

    open_admin(admin)
    detail = open_user(admin, "leaver@example.com")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        login = http.post("/auth/login", json={"email": "leaver@example.com", "password": PASSWORD})
        token = login.json()["access_token"]
        gone = http.request(
            "DELETE",
            "/auth/me",
            json={"password": PASSWORD},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert gone.status_code == 204, gone.text

    detail.get_by_role("button", name="Sign out all sessions", exact=True).click()
    with admin.expect_response(lambda r: urlparse(r.url).path.endswith("/sessions")) as answer:
        detail.get_by_role("button", name="Yes, sign out all", exact=True).click()
    assert answer.value.status == 404 and answer.value.json()["code"] == "not_found"
    expect(admin.get_by_role("alert")).to_have_text(
        "That user no longer exists. The list has been refreshed."
    )
    expect(detail).to_have_count(0)
    expect(admin.get_by_role("list", name="Users")).to_have_count(0)
    expect(
        admin.get_by_text("No user\u2019s email address starts with \u201cleave\u201d.")
    ).to_be_visible()


def test_an_admin_adds_and_removes_roles(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """The account's Roles: Add role posts the typed name (200, the user) and the role
    shows with its event ("Role added", by an administrator, role: auditor); Remove
    role auditor takes it at once (no question), "Role removed". A name that is not a
    role shows the server's 422 message under the field and changes nothing. Taking
    the role admin away asks first; an admin's own is refused with the server's
    words (403 forbidden) and stays."""
    server = ui_server()
    admin = new_context().new_page()
    create_account(admin, server.url, "ruler@example.com")
    expect_plans_page(admin)
    make_admin(server, "ruler@example.com")
    admin.reload()
    expect(admin_link(admin)).to_be_visible()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        created = http.post(
            "/auth/register", json={"email": "staff@example.com", "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        target_id = created.json()["id"]
    roles_path = f"/admin/users/{target_id}/roles"

    open_admin(admin)
    detail = open_user(admin, "staff@example.com")
    roles = detail.get_by_role("region", name="Roles", exact=True)
    expect(roles).to_contain_text("No roles.")
    field = roles.get_by_role("textbox", name="Role", exact=True)
    events = detail.get_by_role("list", name="Events of staff@example.com")
    expect(events.get_by_role("listitem").first).to_contain_text("Account created")

    # Add role: the server answers with the user; the page reads it and its events again.
    field.fill(" auditor ")
    with admin.expect_response(lambda r: is_path(r, roles_path, "POST")) as added:
        roles.get_by_role("button", name="Add role", exact=True).click()
    assert added.value.status == 200, added.value.text()
    assert added.value.request.post_data_json == {"role": "auditor"}
    assert added.value.json()["roles"] == ["auditor"]
    expect(detail.get_by_role("status")).to_have_text("The account has the role auditor.")
    listed = roles.get_by_role("list", name="Roles").get_by_role("listitem")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("auditor")
    expect(field).to_have_value("")
    first_event = events.get_by_role("listitem").first
    expect(first_event).to_contain_text("Role added")
    expect(first_event).to_contain_text("by an administrator")
    expect(first_event).to_contain_text("role: auditor")
    users = admin.get_by_role("list", name="Users")
    expect(users.get_by_role("listitem").first).to_contain_text("auditor")  # its row too

    # Not a role name: the server's rule under the field, nothing changed.
    field.fill("Auditors!")
    with admin.expect_response(lambda r: is_path(r, roles_path, "POST")) as refused:
        roles.get_by_role("button", name="Add role", exact=True).click()
    assert refused.value.status == 422, refused.value.text()
    body = refused.value.json()
    assert body["code"] == "validation_error" and body["detail"]
    expect(roles.get_by_role("alert")).to_have_text(body["detail"])
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(listed).to_have_count(1)
    expect(first_event).to_contain_text("Role added")

    # Remove role auditor: no question; the focus goes back to the field.
    with admin.expect_response(lambda r: is_path(r, f"{roles_path}/auditor", "DELETE")) as removed:
        roles.get_by_role("button", name="Remove role auditor", exact=True).click()
    assert removed.value.status == 200, removed.value.text()
    assert removed.value.json()["roles"] == []
    expect(detail.get_by_role("status")).to_have_text("The role auditor is taken from the account.")
    expect(roles.get_by_role("alert")).to_have_count(0)
    expect(roles).to_contain_text("No roles.")
    expect(field).to_be_focused()
    expect(first_event).to_contain_text("Role removed")
    expect(first_event).to_contain_text("role: auditor")
    expect(events).to_contain_text("Role added")

    # The role admin: taking it away asks first (Cancel, the harmless answer, focused).
    field.fill("admin")
    with admin.expect_response(lambda r: is_path(r, roles_path, "POST")) as made:
        field.press("Enter")
    assert made.value.status == 200 and made.value.json()["roles"] == ["admin"]
    question_text = "Take the role admin from staff@example.com?"
    roles.get_by_role("button", name="Remove role admin", exact=True).click()
    question = roles.get_by_role("group", name=question_text)
    expect(question.get_by_role("button", name="Cancel", exact=True)).to_be_focused()
    question.get_by_role("button", name="Cancel", exact=True).click()
    expect(question).to_have_count(0)
    expect(listed.first).to_contain_text("admin")
    roles.get_by_role("button", name="Remove role admin", exact=True).click()
    with admin.expect_response(lambda r: is_path(r, f"{roles_path}/admin", "DELETE")) as taken:
        question.get_by_role("button", name="Yes, take it away", exact=True).click()
    assert taken.value.status == 200 and taken.value.json()["roles"] == []
    expect(question).to_have_count(0)
    expect(roles).to_contain_text("No roles.")
    expect(first_event).to_contain_text("Role removed")
    expect(first_event).to_contain_text("role: admin")

    # The admin's own role admin: asked, then refused by the server, and kept.
    own = open_user(admin, "ruler@example.com")
    mine = own.get_by_role("region", name="Roles", exact=True)
    mine.get_by_role("button", name="Remove role admin", exact=True).click()
    ask = mine.get_by_role("group", name="Take the role admin from ruler@example.com?")
    with admin.expect_response(
        lambda r: r.request.method == "DELETE" and r.url.endswith("/roles/admin")
    ) as forbidden:
        ask.get_by_role("button", name="Yes, take it away", exact=True).click()
    assert forbidden.value.status == 403, forbidden.value.text()
    body = forbidden.value.json()
    assert body["code"] == "forbidden" and body["detail"]
    expect(own.get_by_role("alert")).to_have_text(body["detail"])
    expect(mine.get_by_role("list", name="Roles")).to_contain_text("admin")
    expect(own.get_by_role("status")).to_have_count(0)
    expect(admin_link(admin)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "admin-roles.png"), full_page=True)


def test_an_admin_whose_sign_in_is_old_confirms_it_is_them_first(
    ui_server: Callable[..., Server], new_context: Callable[..., BrowserContext]
) -> None:
    """Acting on an account needs a recent sign-in (a short AUTHGATE_REAUTH_MAX_AGE
    here): the server answers 403 reauth_required, the page asks for the password in
    place and then adds the role. Cancelling the confirmation changes nothing."""
    server = ui_server(AUTHGATE_REAUTH_MAX_AGE=str(REAUTH_MAX_AGE))
    admin = new_context().new_page()
    create_account(admin, server.url, "keeper@example.com")
    expect_plans_page(admin)
    make_admin(server, "keeper@example.com")
    admin.reload()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        created = http.post(
            "/auth/register", json={"email": "guest@example.com", "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
    open_admin(admin)
    detail = open_user(admin, "guest@example.com")  # reading needs no recent sign-in
    roles = detail.get_by_role("region", name="Roles", exact=True)
    time.sleep(REAUTH_MAX_AGE + 0.5)

    answers: list[int] = []
    admin.on("response", lambda r: answers.append(r.status) if r.url.endswith("/roles") else None)
    roles.get_by_role("textbox", name="Role", exact=True).fill("auditor")
    roles.get_by_role("button", name="Add role", exact=True).click()
    confirm = detail.get_by_role("region", name=CONFIRM)
    expect(confirm.get_by_label("Password")).to_be_focused()
    assert answers == [403]
    confirm.get_by_role("button", name="Cancel", exact=True).click()
    expect(confirm).to_have_count(0)
    expect(detail.get_by_role("alert")).to_have_count(0)
    expect(roles).to_contain_text("No roles.")

    roles.get_by_role("button", name="Add role", exact=True).click()
    expect(confirm).to_be_visible()
    with admin.expect_response(lambda r: r.url.endswith("/roles") and r.status == 200):
        confirm.get_by_label("Password").fill(PASSWORD)
        confirm.get_by_role("button", name="Confirm", exact=True).click()
    assert answers == [403, 403, 200]
    expect(confirm).to_have_count(0)
    expect(detail.get_by_role("status")).to_have_text("The account has the role auditor.")
    expect(roles.get_by_role("list", name="Roles")).to_contain_text("auditor")
