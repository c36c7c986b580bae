"""Methods on the API's paths: 405 with the path's whole ``Allow``, HEAD like GET,
404 for every method on a path the API does not have."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.web.methods import api_operations
from tests.helpers import bearer, head_and_get, signed_up

SESSION_ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("GET", "/auth/login", "POST", id="get-login"),
        pytest.param("GET", "/auth/register", "POST", id="get-register"),
        pytest.param("PATCH", "/auth/login", "POST", id="patch-login"),
        pytest.param("PUT", "/auth/me", "GET, HEAD, DELETE", id="put-me"),
        pytest.param("POST", "/auth/me", "GET, HEAD, DELETE", id="post-me"),
        pytest.param("GET", "/auth/password/forgot", "POST", id="get-forgot"),
        pytest.param("PUT", "/plans", "GET, HEAD, POST", id="put-plans"),
        pytest.param("PATCH", "/plans", "GET, HEAD, POST", id="patch-plans"),
        pytest.param("DELETE", "/plans", "GET, HEAD, POST", id="delete-plans"),
        pytest.param("OPTIONS", "/plans", "GET, HEAD, POST", id="options-plans"),
        pytest.param("POST", "/plans/1", "GET, HEAD, PATCH, DELETE", id="post-plan"),
        pytest.param("GET", f"/auth/sessions/{SESSION_ID}", "DELETE", id="get-session"),
        pytest.param("POST", "/healthz", "GET, HEAD", id="post-healthz"),
        pytest.param("PUT", "/.well-known/jwks.json", "GET, HEAD", id="put-jwks"),
    ],
)
async def test_a_wrong_method_is_405_naming_every_method_of_the_path(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    """An API path's wrong method is 405 with an Allow header listing all its methods."""
    for language, detail in (("en", "Method not allowed"), ("ko", "허용되지 않는 메서드입니다")):
        response = await client.request(method, path, headers={"Accept-Language": language})
        assert response.status_code == 405, response.text
        assert response.headers["allow"] == allow
        assert response.json() == {"detail": detail, "code": "method_not_allowed"}


async def test_a_wrong_method_on_a_protected_path_is_405_before_authentication(
    client: httpx.AsyncClient,
) -> None:
    """Which methods a path has is public (the OpenAPI schema): 405 comes before the
    token check, with or without a token, and a right method still needs one."""
    for headers in ({}, bearer("a.b.c")):
        response = await client.put("/auth/me", headers=headers)
        assert response.status_code == 405
        assert response.json()["code"] == "method_not_allowed"
    response = await client.get("/auth/me")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/healthz", id="healthz"),
        pytest.param("/.well-known/jwks.json", id="jwks"),
    ],
)
async def test_head_on_a_get_route_is_the_get_without_a_body(
    client: httpx.AsyncClient, path: str
) -> None:
    """HEAD answers as GET does (status, headers), without the body (RFC 9110 §9.3.2)."""
    head, get = await head_and_get(client, path)
    for header in ("content-type", "content-length", "cache-control"):
        assert head.headers.get(header) == get.headers.get(header)


async def test_head_on_a_protected_route_needs_the_token_get_needs(
    client: httpx.AsyncClient,
) -> None:
    """HEAD /auth/me is 401 without a valid token, 200 with one, and never has a body."""
    missing = await client.head("/auth/me")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    forged = await client.head("/auth/me", headers=bearer("a.b.c"))
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    token = (await signed_up(client))["access_token"]
    for path in ("/auth/me", "/plans", "/auth/sessions"):
        response = await client.head(path, headers=bearer(token))
        assert response.status_code == 200, path
        assert response.content == b""
    missing_plan = await client.head("/plans/12345", headers=bearer(token))
    assert missing_plan.status_code == 404


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/nope", id="unknown"),
        pytest.param("/auth/nope", id="unknown-auth"),
        pytest.param("/plans/..%2f..%2fetc", id="encoded-traversal"),
        pytest.param("/auth/me/", id="trailing-slash"),
        pytest.param("/assets/missing.js", id="missing-asset"),
    ],
)
async def test_an_unknown_path_is_404_for_every_method(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    """A path the API and the UI do not have is 404 not_found, whatever the method."""
    token = (await signed_up(client))["access_token"]
    response = await client.request(method, path, headers=bearer(token))
    assert response.status_code == 404, response.text
    if method != "HEAD":
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/auth/passkeys/login", "/auth/passkeys/register"])
async def test_a_literal_path_is_not_the_template_beside_it(
    client: httpx.AsyncClient, path: str
) -> None:
    """``/auth/passkeys/login`` is not a passkey id of ``/auth/passkeys/{passkey}``:
    its Allow names its own methods only."""
    for method in ("PATCH", "DELETE", "OPTIONS"):
        response = await client.request(method, path)
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"


async def test_the_schema_read_for_the_paths_is_not_kept(
    client: httpx.AsyncClient, gate_app: tuple[Any, Any]
) -> None:
    """The middlewares read the paths from the OpenAPI schema once and let it go
    (1.7 MB); /openapi.json builds it again when asked, the same."""
    app, _ = gate_app
    assert (await client.put("/plans")).status_code == 405  # the paths are read
    assert app.openapi_schema is None
    schema = (await client.get("/openapi.json")).json()
    assert {"get", "post"} <= set(schema["paths"]["/plans"])
    assert app.openapi_schema is not None
    assert (await client.put("/plans")).headers["allow"] == "GET, HEAD, POST"


def test_a_schema_the_host_app_built_is_kept(gate_app: tuple[Any, Any]) -> None:
    app, _ = gate_app
    built = app.openapi()
    assert any(path == "/plans" for path, _, _ in api_operations(app))
    assert app.openapi_schema is built
