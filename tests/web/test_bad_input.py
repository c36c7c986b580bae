"""Bad input never answers 500: each case gets the status and code API.md names."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.exceptions import HTTPException

from authgate.core.i18n import message
from authgate.web.errors import install_error_handlers
from tests.helpers import PASSWORD, bearer, register, signed_up

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "path",
    [pytest.param("/auth/register", id="register"), pytest.param("/auth/login", id="login")],
)
@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(b"{not json", JSON, id="malformed-json"),
        pytest.param(b'["a@example.com", "pw"]', JSON, id="json-array"),
        pytest.param(b'"a string"', JSON, id="json-string"),
        pytest.param(b"null", JSON, id="json-null"),
        pytest.param(b"", JSON, id="empty-body"),
        pytest.param(b"{}", JSON, id="missing-fields"),
        pytest.param(b'{"email": "a@example.com"}', JSON, id="missing-password"),
        pytest.param(b'{"email": 5, "password": "password1"}', JSON, id="email-not-string"),
        pytest.param(b'{"email": "a@example.com", "password": 12345678}', JSON, id="pw-number"),
        pytest.param(
            b'{"email": "a@example.com", "password": "password1"}',
            {"Content-Type": "text/plain"},
            id="wrong-content-type",
        ),
        pytest.param(
            b'{"email": "a@example.com", "password": "password1"}', {}, id="no-content-type"
        ),
        pytest.param(b"\xff\xfe\x00garbage", JSON, id="binary"),
        pytest.param(
            b'{"email": "a@example.com", "password": "\\ud800abcdefgh"}', JSON, id="lone-surrogate"
        ),
    ],
)
async def test_malformed_bodies_get_422(
    client: httpx.AsyncClient, path: str, content: bytes, headers: dict[str, str]
) -> None:
    """Malformed, non-object, empty or mistyped bodies are 422 validation_error."""
    response = await client.post(path, content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert "detail" in response.json()


async def test_a_refresh_body_must_be_declared_as_json(client: httpx.AsyncClient) -> None:
    """Like every other body: no ``Content-Type``, or another one, is a 422."""
    tokens = await signed_up(client)
    body = json.dumps({"refresh_token": tokens["refresh_token"]}).encode()
    for headers in ({}, {"Content-Type": "text/plain"}):
        response = await client.post("/auth/refresh", content=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    fine = await client.post("/auth/refresh", content=body, headers=JSON)
    assert fine.status_code == 200


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("not-an-email", id="no-at"),
        pytest.param("a@", id="no-domain"),
        pytest.param("@example.com", id="no-local"),
        pytest.param("a b@example.com", id="space"),
        pytest.param("alice\x00@example.com", id="nul-byte"),
        pytest.param("' OR 1=1 --@example.com", id="sql-ish"),
        pytest.param("x" * 400 + "@example.com", id="too-long"),
        pytest.param("", id="empty"),
    ],
)
async def test_register_refuses_bad_emails(client: httpx.AsyncClient, email: str) -> None:
    """An address that cannot be an email is 422."""
    response = await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("short", id="7-chars"),
        pytest.param("x" * 1025, id="1025-chars"),
        pytest.param("", id="empty"),
    ],
)
async def test_register_refuses_bad_passwords(client: httpx.AsyncClient, password: str) -> None:
    """Passwords must have 8 to 1024 characters."""
    response = await client.post(
        "/auth/register", json={"email": "p@example.com", "password": password}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_password_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    """8 and 1024 characters are both accepted, and the long one logs in."""
    for email, password in (("eight@example.com", "x" * 8), ("long@example.com", "y" * 1024)):
        await register(client, email, password)
        response = await client.post("/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("유저@예시.한국", "비밀번호-정말-안전해요", id="korean"),
        pytest.param("zoë@example.com", "pässwörd-ünïcödé", id="accents"),
        pytest.param("robert@example.com", "'); DROP TABLE users;--", id="sql-password"),
        pytest.param("nul@example.com", "pass\x00word-with-nul", id="nul-password"),
        pytest.param("emoji@example.com", "🔑🔑🔑🔑🔑🔑🔑🔑", id="emoji-password"),
    ],
)
async def test_unusual_but_valid_credentials_round_trip(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    """Unicode, NUL bytes and SQL-looking text are data: they register and log in."""
    await register(client, email, password)
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    wrong = await client.post("/auth/login", json={"email": email, "password": password + "x"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("' OR '1'='1", id="sql"),
        pytest.param("alice\x00@example.com", id="nul"),
        pytest.param("x" * 320, id="long"),
    ],
)
async def test_login_with_odd_emails_is_plain_invalid_credentials(
    client: httpx.AsyncClient, email: str
) -> None:
    """Login never says an email is malformed: it matches no account, 401."""
    await register(client, "alice@example.com")
    body = json.dumps({"email": email, "password": PASSWORD})  # \u-escapes surrogates
    response = await client.post("/auth/login", content=body, headers=JSON)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_credentials"


async def test_one_megabyte_body_is_refused_cleanly(client: httpx.AsyncClient) -> None:
    """A 1 MB password is a validation error, not a crash or a slow hash."""
    big = "p" * 1_000_000
    for path in ("/auth/register", "/auth/login"):
        response = await client.post(path, json={"email": "big@example.com", "password": big})
        assert response.status_code == 422, path
        assert response.json()["code"] == "validation_error"


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    """Bodies over AUTHGATE_MAX_BODY_BYTES (2 MiB) are refused before parsing."""
    response = await client.post("/auth/login", content=b"x" * (3 * 1024 * 1024), headers=JSON)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer ", id="bearer-space"),
        pytest.param("Basic YWxpY2U6cGFzc3dvcmQ=", id="basic"),
        pytest.param("Token abc.def.ghi", id="other-scheme"),
        pytest.param("abc.def.ghi", id="no-scheme"),
        pytest.param("Bearer a b", id="two-words"),
    ],
)
async def test_malformed_authorization_is_token_missing(
    client: httpx.AsyncClient, authorization: str
) -> None:
    """A header not of the form 'Bearer <token>' is token_missing with a bare challenge."""
    response = await client.get("/plans", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_no_authorization_is_token_missing(client: httpx.AsyncClient) -> None:
    """No header at all: token_missing, WWW-Authenticate: Bearer."""
    response = await client.get("/plans")
    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_an_8kb_authorization_header_is_token_invalid(client: httpx.AsyncClient) -> None:
    """A huge token is refused as invalid, not a crash."""
    response = await client.get("/plans", headers=bearer("a" * 8192))
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


async def test_token_in_query_string_is_ignored(client: httpx.AsyncClient) -> None:
    """Tokens are read from the header or cookie only (RFC 6750 §2.3 is not supported)."""
    token = (await signed_up(client))["access_token"]
    response = await client.get("/plans", params={"access_token": token})
    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-title"),
        pytest.param({"title": ""}, id="empty"),
        pytest.param({"title": "   "}, id="blank"),
        pytest.param({"title": 5}, id="number"),
        pytest.param({"title": "x" * 501}, id="too-long"),
        pytest.param({"title": "ok", "done": "yes"}, id="done-not-bool"),
        pytest.param({"title": "nul\x00byte"}, id="nul"),
    ],
)
async def test_bad_plans_are_422(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    """Plan bodies are validated strictly."""
    token = (await signed_up(client))["access_token"]
    response = await client.post("/plans", json=body, headers=bearer(token))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    "plan_id",
    ["abc", "0", "-1", "99999999999999999999999", "1.5", "%00", "1;DROP TABLE plans"],
)
async def test_odd_plan_ids_are_404(client: httpx.AsyncClient, plan_id: str) -> None:
    """A path id that names no plan is 404 not_found, whatever it looks like."""
    token = (await signed_up(client))["access_token"]
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/plans/{plan_id}", headers=bearer(token))
        assert response.status_code == 404, (method, plan_id, response.text)
        assert response.json()["code"] == "not_found"


async def test_unknown_routes_are_json_404(client: httpx.AsyncClient) -> None:
    """Even unknown paths answer the error shape."""
    response = await client.get("/auth/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_wrong_method_is_json_405(client: httpx.AsyncClient) -> None:
    """A wrong method answers the error shape too."""
    response = await client.put("/auth/login")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_validation_errors_never_echo_the_input(client: httpx.AsyncClient) -> None:
    """A 422 lists where and what, never the submitted password."""
    secret = "hunter2"
    response = await client.post("/auth/register", json={"email": "bad", "password": secret})
    assert response.status_code == 422
    assert secret not in response.text


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LANGUAGES = [
    pytest.param("en", "The request is not valid", id="en"),
    pytest.param("ko", "요청이 올바르지 않습니다", id="ko"),
]


@pytest.mark.parametrize(("language", "expected"), LANGUAGES)
@pytest.mark.parametrize(
    ("path", "content", "headers"),
    [
        pytest.param(
            "/auth/register",
            b'{"email": "\xff\xfe", "password": "password1"}',
            JSON,
            id="register-invalid-utf8",
        ),
        pytest.param(
            "/auth/register", b"[" * 100_000 + b"]" * 100_000, JSON, id="register-nested-deep"
        ),
        pytest.param("/plans", b'{"title": "\xff\xfe"}', JSON, id="plans-invalid-utf8"),
        pytest.param(
            "/auth/login",
            b"username=" + b"a" * 2_000_000 + b"&password=password1",
            FORM,
            id="login-2mb-form-field",
        ),
        pytest.param(
            "/auth/login",
            b"--xx\r\nno headers, no end",
            {"Content-Type": "multipart/form-data; boundary=xx"},
            id="login-malformed-multipart",
        ),
        pytest.param(
            "/auth/login",
            b"garbage",
            {"Content-Type": "multipart/form-data"},
            id="login-multipart-no-boundary",
        ),
    ],
)
async def test_bodies_the_framework_cannot_parse_are_localised_422(
    client: httpx.AsyncClient,
    path: str,
    content: bytes,
    headers: dict[str, str],
    language: str,
    expected: str,
) -> None:
    """A body FastAPI or Starlette cannot parse is 422 validation_error in the caller's
    language, never an undocumented 400."""
    headers = {**headers, "Accept-Language": language}
    if path == "/plans":
        token = (await signed_up(client))["access_token"]
        headers.update(bearer(token))
    response = await client.post(path, content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": expected, "code": "validation_error"}


@pytest.mark.parametrize(
    "status",
    [400, 401, 403, 404, 405, 406, 409, 410, 413, 415, 416, 418, 422, 429, 431, 451],
)
async def test_every_framework_http_error_has_a_human_message(status: int) -> None:
    """Whatever 4xx Starlette or FastAPI raises is answered with a code of the contract
    and its message in English and Korean, never the bare "http_error"."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise")
    async def raise_it() -> None:
        raise HTTPException(status_code=status)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        for language in ("en", "ko"):
            response = await http.get("/raise", headers={"Accept-Language": language})
            body = response.json()
            assert 400 <= response.status_code < 500
            assert body["code"] != "http_error"
            assert body["detail"] == message(body["code"], language) != body["code"]


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65536 + 1):
        yield b"x" * 65536


@pytest.mark.parametrize(
    "streamed",
    [pytest.param(False, id="content-length"), pytest.param(True, id="chunked")],
)
async def test_413_follows_accept_language(client: httpx.AsyncClient, streamed: bool) -> None:
    """The body-limit answer is in the caller's language, like every other error."""
    size = 3 * 1024 * 1024
    content = _chunks(size) if streamed else b"x" * size
    response = await client.post(
        "/auth/login", content=content, headers={**JSON, "Accept-Language": "ko"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "요청 본문이 너무 큽니다", "code": "payload_too_large"}
