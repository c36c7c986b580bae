"""Failure policy through the HTTP API: Redis or the database gone → 503
``service_unavailable`` (never a token accepted unchecked, never a 500, logged once),
and service resumes by itself when it returns."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD, bearer, login, register
from tests.integration.checks import (
    assert_logged_once_not_per_request,
    assert_unavailable,
    outage_lines,
)
from tests.integration.services import RedisServer, eventually


@pytest.mark.redis
async def test_redis_outage_answers_503_then_resumes_with_what_it_missed(
    app_factory: Callable[..., Any],
    make_client: Callable[[Any], httpx.AsyncClient],
    redis_server: RedisServer,
    caplog: Any,
) -> None:
    """Redis down: protected routes, login, register and health answer 503 (logged
    once); a session revoked meanwhile (recorded in the database by another instance)
    is refused after Redis returns empty; everything else resumes by itself."""
    caplog.set_level(logging.INFO, logger="authgate")
    limits = {"limit_login_account": "10 per hour", "limit_register_address": "10 per hour"}
    app, _ = await app_factory(redis_url=redis_server.url, **limits)
    _, other = await app_factory()  # same database, no Redis: records revocations only
    client = make_client(app)
    await register(client, "alice@example.com")
    kept = (await login(client, "alice@example.com"))["access_token"]
    doomed = (await login(client, "alice@example.com"))["access_token"]

    redis_server.stop()

    async def refused() -> bool:
        return (await client.get("/auth/me", headers=bearer(kept))).status_code == 503

    await eventually(refused, timeout=3.0, what="503 while Redis is down")
    for _ in range(10):
        assert_unavailable(await client.get("/plans", headers=bearer(kept)))
    assert_unavailable(await client.get("/healthz"))
    credentials = {"email": "alice@example.com", "password": PASSWORD}
    assert_unavailable(await client.post("/auth/login", json=credentials))
    new_user = {"email": "bob@example.com", "password": PASSWORD}
    assert_unavailable(await client.post("/auth/register", json=new_user))
    await other.service.logout(other.service.authenticate(doomed))

    redis_server.start()  # empty: no persistence

    async def resumed() -> bool:
        return (await client.get("/auth/me", headers=bearer(kept))).status_code == 200

    await eventually(resumed, timeout=5.0, what="service to resume")
    response = await client.get("/auth/me", headers=bearer(doomed))
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.post("/auth/login", json=credentials)).status_code == 200
    assert outage_lines(caplog, "revocation channel (redis)") == (1, 1)
    assert outage_lines(caplog, "redis (rate limits)") == (1, 1)
    assert_logged_once_not_per_request(caplog)


@pytest.mark.redis
async def test_a_frozen_redis_fails_a_login_in_seconds_not_minutes(
    app_factory: Callable[..., Any],
    make_client: Callable[[Any], httpx.AsyncClient],
    redis_server: RedisServer,
) -> None:
    """A Redis that accepts connections but never answers: login gets 503 after the
    bounded timeouts (redis-py's defaults would hold it for a minute)."""
    app, _ = await app_factory(redis_url=redis_server.url, limit_login_account="10 per hour")
    client = make_client(app)
    await register(client, "alice@example.com")
    redis_server.freeze()
    started = time.monotonic()
    credentials = {"email": "alice@example.com", "password": PASSWORD}
    assert_unavailable(await client.post("/auth/login", json=credentials))
    assert time.monotonic() - started < 5
