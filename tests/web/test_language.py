"""Error messages follow Accept-Language: Korean or English."""

from __future__ import annotations

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
