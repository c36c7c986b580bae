"""The real server, started through the CLI, speaking HTTP: the tutorial's flow,
restarts, racing refreshes, a revocation made by the CLI in another process."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.conftest import AUTHGATE, Server

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


def signed_up(http: httpx.Client, email: str = "alice@example.com") -> dict[str, str]:
    assert (
        http.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
    )
    response = http.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    tokens: dict[str, str] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_tutorials_flow_over_http(start_server: Callable[..., Server]) -> None:
    """register → login → create and list plans → missing, bad and expired tokens."""
    server = start_server()
    with server.client() as http:
        tokens = signed_up(http)
        auth = bearer(tokens["access_token"])
        created = http.post("/plans", json={"title": "Ship authgate"}, headers=auth)
        assert created.status_code == 201
        assert [p["title"] for p in http.get("/plans", headers=auth).json()] == ["Ship authgate"]
        missing = http.get("/plans")
        assert (missing.status_code, missing.json()["code"]) == (401, "token_missing")
        bad = http.get("/plans", headers=bearer("not.a.token"))
        assert (bad.status_code, bad.json()["code"]) == (401, "token_invalid")
        assert http.get("/openapi.json").status_code == 200


def test_a_short_ttl_expires_for_real(start_server: Callable[..., Server]) -> None:
    """With AUTHGATE_ACCESS_TTL=1 the token is token_expired a moment later."""
    server = start_server(AUTHGATE_ACCESS_TTL="1")
    with server.client() as http:
        tokens = signed_up(http)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            response = http.get("/plans", headers=bearer(tokens["access_token"]))
            if response.status_code == 401:
                break
            time.sleep(0.2)
        assert response.json()["code"] == "token_expired"


def test_revocations_survive_a_restart(start_server: Callable[..., Server]) -> None:
    """Log out, restart the process: the token is still revoked, the other still valid."""
    server = start_server()
    with server.client() as http:
        out = signed_up(http)
        kept = http.post("/auth/login", json={"email": "alice@example.com", "password": PASSWORD})
        assert http.post("/auth/logout", headers=bearer(out["access_token"])).status_code == 204
    server.restart()
    with server.client() as http:
        assert http.get("/plans", headers=bearer(out["access_token"])).json()["code"] == (
            "token_revoked"
        )
        assert http.get("/plans", headers=bearer(kept.json()["access_token"])).status_code == 200
        assert (
            http.post("/auth/refresh", json={"refresh_token": out["refresh_token"]}).status_code
            == 401
        )


def _race(server: Server, token: str, n: int) -> list[int]:
    def one(_: int) -> int:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            return http.post("/auth/refresh", json={"refresh_token": token}).status_code

    with ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(one, range(n)))


def test_racing_refreshes_over_http(start_server: Callable[..., Server]) -> None:
    """Ten clients refresh one token at once: one 200, nine 401, no 500."""
    server = start_server()
    with server.client() as http:
        tokens = signed_up(http)
    assert _race(server, tokens["refresh_token"], 10) == [200] + [401] * 9


@pytest.mark.postgres
def test_racing_refreshes_on_postgresql(
    start_server: Callable[..., Server], postgres_url: str
) -> None:
    """The same race with PostgreSQL behind the server."""
    server = start_server(AUTHGATE_DATABASE_URL=postgres_url)
    with server.client() as http:
        tokens = signed_up(http)
    assert _race(server, tokens["refresh_token"], 10) == [200] + [401] * 9


def test_cli_disable_reaches_the_running_server(start_server: Callable[..., Server]) -> None:
    """`authgate user disable` in another process revokes the user's live tokens
    within a couple of seconds (the server polls the revocation record)."""
    server = start_server()
    with server.client() as http:
        tokens = signed_up(http)
        result = subprocess.run(
            [AUTHGATE, "user", "disable", "alice@example.com"],
            env=server.env,
            cwd=server.cwd,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 5
        code = ""
        while time.monotonic() < deadline:
            response = http.get("/plans", headers=bearer(tokens["access_token"]))
            code = response.json()["code"] if response.status_code == 401 else ""
            if code == "token_revoked":
                break
            time.sleep(0.1)
        assert code == "token_revoked"
        login = http.post("/auth/login", json={"email": "alice@example.com", "password": PASSWORD})
        assert (login.status_code, login.json()["code"]) == (403, "account_disabled")
