"""The built web UI at ``/``: served beside the API without shadowing it."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from authgate.web.app import STATIC
from tests.helpers import head_and_get


@pytest.fixture(autouse=True)
def _built_ui() -> None:
    if not (STATIC / "index.html").is_file():
        pytest.fail("the built UI is missing from web/static: run `npm run build` in ui/")


async def test_the_page_is_served_at_the_root_and_revalidated(client: httpx.AsyncClient) -> None:
    """``/`` is the UI's index.html, never cached unchecked and never framed."""
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in response.text
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_every_asset_the_page_names_is_served_for_good(client: httpx.AsyncClient) -> None:
    """The page's hashed scripts and styles exist and may be cached for a year."""
    page = (await client.get("/")).text
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        pytest.param("/plans", 401, "token_missing", id="plans-is-the-api"),
        pytest.param("/auth/me", 401, "token_missing", id="auth-is-the-api"),
        pytest.param("/auth/nowhere", 404, "not_found", id="unknown-auth-path"),
        pytest.param("/.well-known/nowhere", 404, "not_found", id="unknown-well-known"),
        pytest.param("/no-such-page", 404, "not_found", id="unknown-page"),
        pytest.param("/assets/missing.js", 404, "not_found", id="unknown-asset"),
    ],
)
async def test_the_ui_does_not_shadow_api_answers(
    client: httpx.AsyncClient, path: str, status: int, code: str
) -> None:
    """API paths answer JSON errors, not the page; unknown paths are JSON 404s."""
    response = await client.get(path)
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_the_built_page_allows_only_its_own_scripts() -> None:
    """The build puts a Content-Security-Policy in the page: scripts from this origin only."""
    page = (STATIC / "index.html").read_text()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert "script-src 'self'" in html.unescape(policy.group(1)).split("; ")
    assert "<script>" not in page  # no inline script the policy would have to allow


@pytest.mark.parametrize(
    "path",
    [pytest.param("/", id="root"), pytest.param("/index.html", id="index")],
)
async def test_head_on_a_page_is_its_get_without_a_body(
    client: httpx.AsyncClient, path: str
) -> None:
    """HEAD of a UI file has GET's status and headers and no body."""
    head, get = await head_and_get(client, path)
    for header in ("content-type", "content-length", "etag", "cache-control", "x-frame-options"):
        assert head.headers[header] == get.headers[header]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    [pytest.param("/", id="root"), pytest.param("/index.html", id="index")],
)
async def test_writing_to_a_ui_file_is_405(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    """UI files are read-only: another method is 405 allowing GET and HEAD."""
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "range_header",
    [
        pytest.param("bytes=0-9", id="satisfiable"),
        pytest.param("bytes=abc", id="malformed"),
        pytest.param("items=0-9", id="unknown-unit"),
        pytest.param("bytes=999999999-", id="unsatisfiable"),
        pytest.param("bytes=" + ",".join(["0-0"] * 200), id="too-many-ranges"),
    ],
)
async def test_a_range_header_is_ignored_not_a_plain_text_error(
    client: httpx.AsyncClient, range_header: str
) -> None:
    """UI files are whole 200s whatever ``Range`` says (RFC 9110 §14.2 lets a server
    ignore it), so no request gets Starlette's plain-text 400 or 416."""
    whole = await client.get("/")
    response = await client.get("/", headers={"Range": range_header, "If-Range": "x"})
    assert response.status_code == 200
    assert response.content == whole.content
    assert "content-range" not in response.headers
    assert response.headers["accept-ranges"] == "none"
