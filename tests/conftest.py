"""Shared fixtures: settings, a fake clock, databases (SQLite and PostgreSQL), clients.

Services: PostgreSQL at AUTHGATE_TEST_POSTGRES_URL (default: this machine's server)
and Redis at AUTHGATE_TEST_REDIS_URL. On a developer's machine without them, the
tests that need them are skipped; with CI or AUTHGATE_REQUIRE_SERVICES set (as
.ci/run does), a missing service fails those tests instead.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from authgate.core.passwords import FAST_FOR_TESTS
from authgate.core.settings import Settings
from tests.mailserver import mail_server  # noqa: F401  (the real SMTP server fixture)

SECRET = "test-secret-0123456789-abcdefghijklmnop"
POSTGRES_URL = os.environ.get(
    "AUTHGATE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("AUTHGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = bool(os.environ.get("CI") or os.environ.get("AUTHGATE_REQUIRE_SERVICES"))


def service_missing(what: str, why: object) -> None:
    """Skip on a developer's machine; fail in CI."""
    message = f"{what} is not reachable ({why})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; CI must not skip it", pytrace=False)
    pytest.skip(message)


class FakeClock:
    """A settable clock (seconds since the epoch): tests move time, never sleep."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    import time

    return FakeClock(time.time())


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "secret": SECRET,
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}",
            "limit_login_account": "off",
            "limit_login_address": "off",
            "limit_register_address": "off",
            "limit_mail_address": "off",
            "outbox_dir": tmp_path / "outbox",
        }
        values.update(overrides)
        return Settings(**values)

    return make


# -- PostgreSQL: one scratch database per test session, emptied between tests ---------


def run_sql(url: str, sql: str) -> None:
    """Run one statement (in its own thread and event loop: fixtures may be set up
    while a test's loop is running)."""
    import asyncpg

    async def execute() -> None:
        conn = await asyncpg.connect(
            url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, execute()).result()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    name = f"authgate_test_{uuid.uuid4().hex[:10]}"
    try:
        run_sql(POSTGRES_URL, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # any failure means: no usable server here
        service_missing("PostgreSQL", exc)
    base, _, _ = POSTGRES_URL.rpartition("/")
    yield f"{base}/{name}"
    run_sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """The scratch database, emptied after the test."""
    yield postgres_database
    run_sql(
        postgres_database,
        "DO $$ BEGIN IF to_regclass('public.users') IS NOT NULL THEN "
        "TRUNCATE users, sessions, refresh_tokens, revocations, plans, email_tokens, "
        "mail_queue, events, oauth_clients CASCADE; "
        "END IF; END $$",
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}"
    return str(request.getfixturevalue("postgres_url"))


# -- Redis: the machine's server, shared with others -----------------------------------


@dataclass(frozen=True)
class SharedRedis:
    """AUTHGATE_TEST_REDIS_URL with a key prefix (and channel) of one test's own."""

    url: str
    prefix: str

    def settings(self) -> dict[str, str]:
        return {"redis_url": self.url, "redis_prefix": self.prefix}

    def env(self) -> dict[str, str]:
        return {"AUTHGATE_REDIS_URL": self.url, "AUTHGATE_REDIS_PREFIX": self.prefix}


@pytest.fixture
def shared_redis() -> Iterator[SharedRedis]:
    """The shared Redis: never flushed; the test's keys carry a unique prefix and are
    deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        service_missing("Redis", exc)
    prefix = f"authgate-test-{uuid.uuid4().hex[:12]}"
    yield SharedRedis(REDIS_URL, prefix)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


# -- an app behind an ASGI client ---------------------------------------------------


@pytest.fixture
async def app_factory(
    make_settings: Callable[..., Settings], database_url: str, clock: FakeClock
) -> AsyncIterator[Callable[..., Any]]:
    """Start apps (lifespan included) on the parametrised database; stop them after."""
    from authgate.web.app import create_app
    from authgate.web.gate import AuthGate

    stack: list[Any] = []

    async def start(**overrides: Any) -> tuple[Any, AuthGate]:
        overrides.setdefault("database_url", database_url)
        gate = AuthGate(make_settings(**overrides), password_params=FAST_FOR_TESTS, clock=clock)
        app = create_app(gate=gate)
        lifespan = gate.lifespan(app)
        await lifespan.__aenter__()
        stack.append(lifespan)
        return app, gate

    yield start
    for lifespan in reversed(stack):
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def gate_app(app_factory: Callable[..., Any]) -> tuple[Any, Any]:
    return await app_factory()


@pytest.fixture
async def client(gate_app: tuple[Any, Any]) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = gate_app
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


@pytest.fixture
def gate(gate_app: tuple[Any, Any]) -> Any:
    return gate_app[1]
