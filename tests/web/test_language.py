"""Error messages follow Accept-Language: Korean or English."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.helpers import register


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("ko", "토큰이 없습니다", id="ko"),
        pytest.param("ko-KR,ko;q=0.9,en;q=0.8", "토큰이 없습니다", id="ko-KR-first"),
        pytest.param("en-US,en;q=0.9,ko;q=0.8", "No token", id="en-first"),
        pytest.param("fr-FR, ko;q=0.5", "토큰이 없습니다", id="ko-only-supported"),
        pytest.param("", "No token", id="empty"),
        pytest.param("xx;q=abc, ;;;", "No token", id="garbage"),
    ],
)
async def test_missing_token_message(client: httpx.AsyncClient, accept: str, expected: str) -> None:
    """The 401 message is chosen by Accept-Language; the code never changes."""
    response = await client.get("/plans", headers={"Accept-Language": accept})
    assert response.json() == {"detail": expected, "code": "token_missing"}


async def test_korean_messages_for_the_common_cases(client: httpx.AsyncClient) -> None:
    """The four messages API.md names in Korean."""
    ko = {"Accept-Language": "ko"}
    await register(client, "alice@example.com")
    wrong = await client.post(
        "/auth/login", json={"email": "alice@example.com", "password": "wrong pw!"}, headers=ko
    )
    assert wrong.json()["detail"] == "이메일 또는 비밀번호가 틀렸습니다"
    invalid = await client.get("/plans", headers={**ko, "Authorization": "Bearer a.b.c"})
    assert invalid.json()["detail"] == "유효하지 않은 토큰입니다"


async def test_english_is_the_default(client: httpx.AsyncClient) -> None:
    """Without Accept-Language, messages are English."""
    response = await client.post(
        "/auth/login", json={"email": "nobody@example.com", "password": "whatever1"}
    )
    assert response.json() == {
        "detail": "Incorrect email or password",
        "code": "invalid_credentials",
    }


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        pytest.param("/auth/register", {"email": "k@example.com"}, "필수 항목입니다", id="missing"),
        pytest.param(
            "/auth/login", {"email": 42, "password": "x" * 8}, "문자열이어야 합니다", id="type"
        ),
        pytest.param(
            "/auth/login",
            {"email": "k@example.com", "password": "x" * 1025},
            "1024자 이하여야 합니다",
            id="too-long",
        ),
        pytest.param("/auth/login", "[1]", "JSON 객체여야 합니다", id="not-an-object"),
        pytest.param("/auth/login", b"{oops", "본문이 올바른 JSON이 아닙니다", id="not-json"),
    ],
)
async def test_a_422_list_follows_accept_language(
    client: httpx.AsyncClient, path: str, body: object, expected: str
) -> None:
    """Each item of a 422 ``detail`` list is in Korean when asked (English is
    pydantic's wording); ``loc``, ``type`` and the code stay the same."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    korean = await client.post(path, content=content, headers={**headers, "Accept-Language": "ko"})
    english = await client.post(path, content=content, headers=headers)
    assert korean.status_code == english.status_code == 422
    assert korean.json()["code"] == english.json()["code"] == "validation_error"
    ko_items, en_items = korean.json()["detail"], english.json()["detail"]
    assert expected in [item["msg"] for item in ko_items]
    assert [(i["loc"], i["type"]) for i in ko_items] == [(i["loc"], i["type"]) for i in en_items]
    assert all(item["msg"].isascii() for item in en_items)
