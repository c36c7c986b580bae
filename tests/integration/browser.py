"""What the browser tests share: real headless Chromium (``browser``, fresh contexts
from ``new_context``), ``authgate serve`` for it (``ui_server``), and what a person
does in the UI (``create_account``, ``sign_in``, …).

The fixtures reach every test of this directory through ``conftest.py``. Without the
playwright package the ``browser`` fixture skips (fails in CI), and Playwright's names
here stand for nothing.

The server is started through the CLI on a free port with a fresh SQLite database
(once per module and configuration; each test has its own accounts), and the tests
drive the built UI (``src/authgate/web/static``, rebuilt from ``ui/``
by ``scripts/test-deps.sh``) the way a person would: by labels and button names.
Cookies keep their default ``Secure`` flag and so their ``__Host-``/``__Secure-``
names: Chromium treats ``http://localhost`` as a secure context, so nothing is
relaxed for the tests.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import service_missing
from tests.integration.conftest import Server, server_env

CHROMIUM = os.environ.get("AUTHGATE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
STATIC_INDEX = REPO / "src" / "authgate" / "web" / "static" / "index.html"
PASSWORD = "correct horse battery"
#: The cookies of a server with Secure cookies (the default).
ACCESS, REFRESH, CSRF = "__Host-access_token", "__Secure-refresh_token", "__Host-csrf_token"

try:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        CDPSession,
        Locator,
        Page,
        Request,
        Response,
        Route,
        expect,
        sync_playwright,
    )
except ImportError:  # the dev extra installs it; without it the tests skip (fail in CI)
    Browser = BrowserContext = CDPSession = Locator = Page = Request = Response = Route = Any
    expect = sync_playwright = None


# -- the server: `authgate serve` through the CLI -------------------------------------


def start_ui_server(home: Path, *, public_url: bool = False, **env: str) -> Server:
    """``authgate serve`` with its default Secure cookies, reached as "localhost": the
    name Chromium treats as a secure context for Secure cookies and the Web Locks
    API without TLS. With ``public_url``, its own address is its
    AUTHGATE_PUBLIC_URL (the RP ID of its passkeys, the links in its mails): the port
    is chosen before the start."""
    environment = server_env(home, **{"AUTHGATE_COOKIE_SECURE": "true", **env})
    server = Server(environment, home, url_host="localhost")
    if public_url:
        server.env["AUTHGATE_PUBLIC_URL"] = server.url
    return server.start()


@contextlib.contextmanager
def servers_per_environment(
    tmp_path_factory: pytest.TempPathFactory, *, public_url: bool = False, **base: str
) -> Iterator[Callable[..., Server]]:
    """A function that starts a UI server (:func:`start_ui_server`) for the given
    environment overrides (keywords, over ``base``): once per set of overrides, each
    on its own fresh SQLite file (tests use their own accounts); all stopped after."""
    if not STATIC_INDEX.is_file():
        pytest.fail("the built UI is missing: run `npm ci && npm run build` in ui/")
    servers: dict[tuple[tuple[str, str], ...], Server] = {}

    def start(**env: Any) -> Server:
        key = tuple(sorted((k, str(v)) for k, v in {**base, **env}.items()))
        if key not in servers:
            home = tmp_path_factory.mktemp("ui-server")
            servers[key] = start_ui_server(home, public_url=public_url, **dict(key))
        return servers[key]

    try:
        yield start
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """UI servers with the given environment overrides (:func:`servers_per_environment`)."""
    with servers_per_environment(tmp_path_factory) as start:
        yield start


# -- the browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None or not Path(CHROMIUM).exists():
        service_missing("Chromium", f"{CHROMIUM} or the playwright package is missing")
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts (each its own cookie jar, like a separate browser)."""
    contexts: list[BrowserContext] = []

    def make(locale: str = "en-US") -> BrowserContext:
        context = browser.new_context(locale=locale, viewport={"width": 900, "height": 640})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# -- helpers: what a person does -----------------------------------------------------


def create_account(page: Page, url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()


def sign_in(page: Page, url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def add_plan(page: Page, title: str) -> None:
    page.get_by_label("New plan").fill(title)
    page.get_by_role("button", name="Add plan").click()


def plan_item(page: Page, title: str) -> Any:
    return page.get_by_role("listitem").filter(has_text=title)


def expect_plans_page(page: Page) -> None:
    expect(page.get_by_role("heading", name="Plans")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def expect_sign_in_page(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def wait_for_access_cookie_to_expire(context: BrowserContext, timeout: float = 10.0) -> None:
    """Real time passes (the point of a 2 s TTL): until the browser drops the cookie."""
    deadline = time.monotonic() + timeout
    while any(c["name"] == ACCESS for c in context.cookies()):
        assert time.monotonic() < deadline, "the access cookie never expired"
        time.sleep(0.1)


def script_visible_cookies(page: Page) -> str:
    cookies: str = page.evaluate("document.cookie")
    return cookies


def assert_no_token_reachable_by_scripts(page: Page) -> None:
    cookies = script_visible_cookies(page)
    assert f"{CSRF}=" in cookies  # the one cookie scripts are meant to read
    assert "access_token" not in cookies
    assert "refresh_token" not in cookies
    storage = page.evaluate(
        "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert storage == "[[],[]]"
