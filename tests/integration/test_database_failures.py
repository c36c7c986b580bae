"""Failure policy for the database: PostgreSQL cut off by a TCP proxy the test
controls (the shared server itself cannot be stopped) → 503, then resume."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, run_sql
from tests.helpers import PASSWORD, bearer, login, register
from tests.integration.checks import (
    assert_logged_once_not_per_request,
    assert_unavailable,
    outage_lines,
)
from tests.integration.services import TcpProxy, eventually

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: a TCP proxy stands between it and the app (below)."""
    return postgres_url


@pytest.fixture
async def proxied_database(database_url: str) -> AsyncIterator[tuple[str, TcpProxy]]:
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(False), proxy
    await proxy.close()


async def signed_in(
    app_factory: Callable[..., Any], make_client: Callable[[Any], httpx.AsyncClient], url: str
) -> tuple[httpx.AsyncClient, dict[str, Any], dict[str, str]]:
    """An app on ``url`` with alice registered and logged in: client, tokens, headers."""
    app, _ = await app_factory(database_url=url)
    client = make_client(app)
    await register(client, "alice@example.com")
    tokens = await login(client, "alice@example.com")
    return client, tokens, bearer(tokens["access_token"])


async def test_database_outage_answers_503_then_resumes(
    app_factory: Callable[..., Any],
    make_client: Callable[[Any], httpx.AsyncClient],
    proxied_database: tuple[str, TcpProxy],
    caplog: Any,
) -> None:
    """PostgreSQL cut off: health, protected routes, login and refresh answer 503
    (logged once, never a 500); reconnected: everything works again by itself."""
    caplog.set_level(logging.INFO, logger="authgate")
    url, proxy = proxied_database
    client, tokens, headers = await signed_in(app_factory, make_client, url)
    assert (await client.post("/plans", json={"title": "a"}, headers=headers)).status_code == 201

    await proxy.cut()

    for _ in range(5):
        assert_unavailable(await client.get("/healthz"))
        assert_unavailable(await client.get("/plans", headers=headers))
        assert_unavailable(await client.get("/auth/me", headers=headers))
    credentials = {"email": "alice@example.com", "password": PASSWORD}
    assert_unavailable(await client.post("/auth/login", json=credentials))
    refresh = {"refresh_token": tokens["refresh_token"]}
    assert_unavailable(await client.post("/auth/refresh", json=refresh))
    assert_unavailable(await client.post("/auth/logout", headers=headers))

    await proxy.restore()

    async def healthy() -> bool:
        return (await client.get("/healthz")).status_code == 200

    await eventually(healthy, timeout=10.0, what="the database to be back")
    plans = await client.get("/plans", headers=headers)
    assert plans.status_code == 200
    assert [p["title"] for p in plans.json()] == ["a"]
    assert (await client.post("/auth/refresh", json=refresh)).status_code == 200
    assert outage_lines(caplog, "database") == (1, 1)
    assert_logged_once_not_per_request(caplog)


@pytest.fixture
def doomed_database() -> Any:
    """A database of its own, which the test drops under the running app."""
    name = f"authgate_doomed_{uuid.uuid4().hex[:10]}"
    run_sql(POSTGRES_URL, f'CREATE DATABASE "{name}"')
    yield name, f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    run_sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_database_dropped_under_the_app_answers_503(
    app_factory: Callable[..., Any],
    make_client: Callable[[Any], httpx.AsyncClient],
    doomed_database: tuple[str, str],
) -> None:
    """The server answers, but "database does not exist" (SQLSTATE 3D000, which
    asyncpg does not report as a connection error): 503 everywhere, not a 500."""
    name, url = doomed_database
    client, tokens, headers = await signed_in(app_factory, make_client, url)

    run_sql(POSTGRES_URL, f'DROP DATABASE "{name}" WITH (FORCE)')

    credentials = {"email": "alice@example.com", "password": PASSWORD}
    for _ in range(2):
        assert_unavailable(await client.get("/healthz"))
        assert_unavailable(await client.get("/plans", headers=headers))
        assert_unavailable(await client.get("/auth/me", headers=headers))
        assert_unavailable(await client.post("/plans", json={"title": "a"}, headers=headers))
        assert_unavailable(await client.post("/auth/login", json=credentials))
        assert_unavailable(await client.post("/auth/register", json=credentials))
        assert_unavailable(
            await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        )
        assert_unavailable(await client.post("/auth/logout", headers=headers))
