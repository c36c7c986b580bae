"""Real ``authgate serve`` processes sharing state: two instances on PostgreSQL and
Redis, and one instance with ``--workers 2``."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SECRET, SharedRedis
from tests.helpers import PASSWORD, bearer
from tests.integration.services import (
    AUTHGATE,
    PinnedConnection,
    RedisServer,
    wait_for,
    worker_pids,
    worker_serving,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis]

LIMIT = "3 per 15 minutes"


def refused_within(check: Callable[[], httpx.Response | int], seconds: float) -> float:
    """Poll until ``check`` answers 401 ``token_revoked``; the time it took."""
    started = time.monotonic()

    def revoked() -> bool:
        answer = check()
        status = answer if isinstance(answer, int) else answer.status_code
        return status == 401

    wait_for(revoked, timeout=seconds, interval=0.01, what="the token to be refused")
    return time.monotonic() - started


@pytest.mark.postgres
def test_two_instances_share_sessions_revocations_and_limits(
    start_server: Callable[..., Any], postgres_url: str, shared_redis: SharedRedis
) -> None:
    """Register on A, log in on B, refresh on A, log out on B: the access token is
    refused on A within one second (so is a user disabled by the CLI, on both);
    failures counted on A lock the account on B."""
    env = {
        "AUTHGATE_DATABASE_URL": postgres_url,
        "AUTHGATE_LIMIT_LOGIN_ACCOUNT": LIMIT,
        **shared_redis.env(),
    }
    a, b = start_server(**env), start_server(**env)
    credentials = {"email": "alice@example.com", "password": PASSWORD}
    with httpx.Client(base_url=a.url) as on_a, httpx.Client(base_url=b.url) as on_b:
        assert on_a.post("/auth/register", json=credentials).status_code == 201
        first = on_b.post("/auth/login", json=credentials).json()
        refreshed = on_a.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        token = refreshed.json()["access_token"]
        assert on_a.get("/auth/me", headers=bearer(token)).status_code == 200
        assert on_b.get("/plans", headers=bearer(first["access_token"])).status_code == 200

        assert on_b.post("/auth/logout", headers=bearer(token)).status_code == 204
        latency = refused_within(lambda: on_a.get("/auth/me", headers=bearer(token)), 1.0)
        answer = on_a.get("/auth/me", headers=bearer(token))
        assert answer.json()["code"] == "token_revoked"
        # The whole session went: its older access token and its refresh token too.
        assert on_a.get("/plans", headers=bearer(first["access_token"])).status_code == 401
        again = on_a.post(
            "/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
        )
        assert again.status_code == 401

        # The CLI is one more process on the channel: disabling a user there is
        # honoured by both instances within a second of the command returning.
        bob = {"email": "bob@example.com", "password": PASSWORD}
        assert on_b.post("/auth/register", json=bob).status_code == 201
        bob_token = on_a.post("/auth/login", json=bob).json()["access_token"]
        disabled = subprocess.run(
            [AUTHGATE, "user", "disable", "bob@example.com"],
            env={**a.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert disabled.returncode == 0, disabled.stderr
        for server in (on_a, on_b):
            refused_within(lambda s=server: s.get("/auth/me", headers=bearer(bob_token)), 1.0)

        wrong = {**credentials, "password": "not the password"}
        for _ in range(3):
            assert on_a.post("/auth/login", json=wrong).status_code == 401
        locked = on_b.post("/auth/login", json=credentials)
        assert locked.status_code == 429, locked.text
        assert locked.json()["code"] == "too_many_attempts"
        assert int(locked.headers["retry-after"]) >= 1
    print(f"logout on B refused on A after {latency * 1000:.0f} ms")


def test_workers_share_revocations_and_limits(
    start_server: Callable[..., Any], shared_redis: SharedRedis
) -> None:
    """``serve --workers 2``: a logout on one worker is honoured by the other within a
    second; failures counted by one lock the account on the other. Connections are
    pinned and each is traced to the worker holding it."""
    server = start_server(
        ["--workers", "2"], AUTHGATE_LIMIT_LOGIN_ACCOUNT=LIMIT, **shared_redis.env()
    )
    wait_for(lambda: len(worker_pids(server)) == 2, timeout=30, what="two workers")
    by_worker: dict[int, PinnedConnection] = {}
    spare: list[PinnedConnection] = []
    deadline = time.monotonic() + 30
    while len(by_worker) < 2 and time.monotonic() < deadline:
        connection = PinnedConnection(server)
        assert connection.request("GET", "/healthz")[0] == 200
        pid = wait_for(lambda c=connection: worker_serving(server, c.port), timeout=5)
        if pid in by_worker:
            spare.append(connection)
        else:
            by_worker[pid] = connection
    assert len(by_worker) == 2, "could not reach both workers"
    one, other = by_worker.values()
    try:
        credentials = {"email": "bob@example.com", "password": PASSWORD}
        assert one.request("POST", "/auth/register", credentials)[0] == 201
        status, tokens, _ = one.request("POST", "/auth/login", credentials)
        token = tokens["access_token"]
        assert other.request("GET", "/auth/me", token=token)[0] == 200

        assert other.request("POST", "/auth/logout", token=token)[0] == 204
        refused_within(lambda: one.request("GET", "/auth/me", token=token)[0], 1.0)

        wrong = {**credentials, "password": "not the password"}
        for _ in range(3):
            assert one.request("POST", "/auth/login", wrong)[0] == 401
        status, body, headers = other.request("POST", "/auth/login", credentials)
        assert status == 429, body
        assert int(headers["retry-after"]) >= 1
    finally:
        for connection in [*by_worker.values(), *spare]:
            connection.close()


def serve_fails(env: dict[str, str], *args: str, cwd: Path) -> str:
    """Run ``authgate serve`` expecting it to refuse to start; its stderr."""
    result = subprocess.run(
        [AUTHGATE, "serve", "--port", "0", *args],
        env={"PATH": "/usr/bin", "AUTHGATE_SECRET": SECRET, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    return result.stderr


def test_workers_without_redis_refuse_to_start(tmp_path: Path) -> None:
    """Without a shared Redis, N worker processes would each keep their own
    revocations and limits: refused with one line."""
    stderr = serve_fails({}, "--workers", "2", cwd=tmp_path)
    assert stderr.strip().splitlines() == [
        "error: --workers 2 needs AUTHGATE_REDIS_URL: revocations and rate limits must be "
        "shared by the worker processes"
    ]


def test_unreachable_redis_stops_start_up(tmp_path: Path, redis_server: RedisServer) -> None:
    """A Redis that does not answer stops ``serve`` with one line naming the variable."""
    redis_server.stop()
    stderr = serve_fails({"AUTHGATE_REDIS_URL": redis_server.url}, cwd=tmp_path)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: AUTHGATE_REDIS_URL: cannot connect")


def test_a_bad_redis_url_is_refused(tmp_path: Path) -> None:
    """A URL that is not Redis's: one line naming the variable."""
    stderr = serve_fails({"AUTHGATE_REDIS_URL": "http://127.0.0.1:6379"}, cwd=tmp_path)
    assert stderr.startswith("error: AUTHGATE_REDIS_URL: ")
