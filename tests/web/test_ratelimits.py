"""Rate limits and lockout (API.md §2, §3), in process: 429 ``too_many_attempts``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from authgate.core.i18n import message
from tests.conftest import SharedRedis
from tests.helpers import PASSWORD, register

WRONG = "not the password"


@asynccontextmanager
async def client_from(app: Any, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/login", json={"email": email, "password": password})


def assert_locked(response: httpx.Response, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "too_many_attempts"
    assert response.json()["detail"]
    assert 1 <= int(response.headers["retry-after"]) <= window


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Limits do not depend on the database: SQLite only here."""
    return f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """Limits counted in process, and in Redis (shared by every instance)."""
    if request.param == "memory":
        return {}
    shared: SharedRedis = request.getfixturevalue("shared_redis")
    return shared.settings()


@pytest.fixture
def limited(app_factory: Callable[..., Any], backend: dict[str, str]) -> Callable[..., Any]:
    """Start an app with the given limits (others off), on each backend."""

    async def start(**limits: str) -> Any:
        app, _ = await app_factory(**backend, **limits)
        return app

    return start


async def test_account_is_locked_after_its_failures(limited: Callable[..., Any]) -> None:
    """After N failed logins the account answers 429, even to the right password."""
    app = await limited(limit_login_account="3 per 15 minutes")
    async with client_from(app, "198.51.100.1") as client:
        await register(client, "alice@example.com")
        for _ in range(3):
            assert (await attempt(client, "alice@example.com", WRONG)).status_code == 401
        assert_locked(await attempt(client, "alice@example.com", PASSWORD), 15 * 60)
        assert_locked(await attempt(client, "alice@example.com", WRONG), 15 * 60)
    # The account, not the address, is locked: another address is refused too.
    async with client_from(app, "198.51.100.2") as other:
        assert_locked(await attempt(other, "ALICE@example.com", PASSWORD), 15 * 60)


async def test_other_accounts_failures_never_lock_a_user(limited: Callable[..., Any]) -> None:
    """Failures on bob's account leave alice's login alone, from the same address too."""
    app = await limited(limit_login_account="3 per 15 minutes")
    async with client_from(app, "198.51.100.1") as client:
        await register(client, "alice@example.com")
        await register(client, "bob@example.com")
        for _ in range(5):
            await attempt(client, "bob@example.com", WRONG)
        assert_locked(await attempt(client, "bob@example.com", PASSWORD), 15 * 60)
        assert (await attempt(client, "alice@example.com", PASSWORD)).status_code == 200


async def test_successful_logins_are_not_counted(limited: Callable[..., Any]) -> None:
    """Only failures count: a user who logs in often is never locked out."""
    app = await limited(limit_login_account="2 per hour", limit_login_address="2 per hour")
    async with client_from(app, "198.51.100.1") as client:
        await register(client, "alice@example.com")
        for _ in range(5):
            assert (await attempt(client, "alice@example.com", PASSWORD)).status_code == 200


async def test_unknown_emails_count_like_wrong_passwords(limited: Callable[..., Any]) -> None:
    """Guessing at an email that does not exist locks it like a real account (no oracle)."""
    app = await limited(limit_login_account="2 per hour")
    async with client_from(app, "198.51.100.1") as client:
        for _ in range(2):
            assert (await attempt(client, "nobody@example.com", WRONG)).status_code == 401
        assert_locked(await attempt(client, "nobody@example.com", WRONG), 3600)


async def test_an_address_is_locked_after_failures_on_many_accounts(
    limited: Callable[..., Any],
) -> None:
    """Spraying passwords across accounts locks the address, not those accounts."""
    app = await limited(limit_login_address="4 per 15 minutes")
    async with client_from(app, "198.51.100.66") as attacker:
        await register(attacker, "carol@example.com")
        for n in range(4):
            assert (await attempt(attacker, f"user{n}@example.com", WRONG)).status_code == 401
        assert_locked(await attempt(attacker, "carol@example.com", PASSWORD), 15 * 60)
    async with client_from(app, "198.51.100.7") as carol:
        assert (await attempt(carol, "carol@example.com", PASSWORD)).status_code == 200


async def test_registrations_are_limited_per_address(limited: Callable[..., Any]) -> None:
    """The N+1th registration from one address is 429; another address still registers."""
    app = await limited(limit_register_address="2 per hour")
    async with client_from(app, "198.51.100.1") as client:
        await register(client, "a1@example.com")
        await register(client, "a2@example.com")
        response = await client.post(
            "/auth/register", json={"email": "a3@example.com", "password": PASSWORD}
        )
        assert_locked(response, 3600)
    async with client_from(app, "198.51.100.2") as other:
        await register(other, "a3@example.com")


async def test_wrong_current_password_counts_toward_the_lockout(
    limited: Callable[..., Any],
) -> None:
    """Guessing the current password through /auth/password is throttled like login."""
    app = await limited(limit_login_account="2 per hour")
    async with client_from(app, "198.51.100.1") as client:
        await register(client, "alice@example.com")
        token = (await attempt(client, "alice@example.com", PASSWORD)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {"current_password": WRONG, "new_password": "another long one"}
        for _ in range(2):
            response = await client.post("/auth/password", json=body, headers=headers)
            assert response.status_code == 401
        body["current_password"] = PASSWORD
        assert_locked(await client.post("/auth/password", json=body, headers=headers), 3600)
        assert_locked(await attempt(client, "alice@example.com", PASSWORD), 3600)


async def test_off_disables_a_limit(limited: Callable[..., Any]) -> None:
    """With every limit ``off``, failures are answered 401 forever."""
    app = await limited()
    async with client_from(app, "198.51.100.1") as client:
        await register(client, "alice@example.com")
        for _ in range(12):
            assert (await attempt(client, "alice@example.com", WRONG)).status_code == 401
        assert (await attempt(client, "alice@example.com", PASSWORD)).status_code == 200


async def test_korean_message_for_a_lockout(limited: Callable[..., Any]) -> None:
    """The 429 follows Accept-Language like every other error."""
    app = await limited(limit_login_account="1 per hour")
    async with client_from(app, "198.51.100.1") as client:
        await attempt(client, "alice@example.com", WRONG)
        response = await client.post(
            "/auth/login",
            json={"email": "alice@example.com", "password": WRONG},
            headers={"Accept-Language": "ko"},
        )
    assert response.status_code == 429
    assert response.json()["detail"] == message("too_many_attempts", "ko")


async def test_concurrent_guesses_cannot_outrun_the_lockout(limited: Callable[..., Any]) -> None:
    """A burst of simultaneous wrong passwords gets no more guesses than the limit."""
    app = await limited(limit_login_account="3 per 15 minutes")
    async with client_from(app, "198.51.100.1") as client:
        await register(client, "alice@example.com")
        burst = await asyncio.gather(
            *(attempt(client, "alice@example.com", f"guess {n}") for n in range(20))
        )
        statuses = sorted(response.status_code for response in burst)
        assert set(statuses) <= {401, 429}, statuses
        # Claims in flight may refuse a little early (429, Retry-After: 1), never late:
        # guessing on, one at a time, gets exactly the limit's worth of tries in all.
        failures = statuses.count(401)
        for _ in range(4):
            response = await attempt(client, "alice@example.com", "one more guess")
            if response.status_code == 429:
                break
            assert response.status_code == 401
            failures += 1
        assert failures == 3, statuses
        assert_locked(await attempt(client, "alice@example.com", PASSWORD), 15 * 60)


async def test_off_is_read_in_any_letter_case(limited: Callable[..., Any]) -> None:
    """``OFF`` passes validation, so it must disable the limit too (never a 500)."""
    app = await limited(limit_login_account=" OFF ", limit_register_address="Off")
    async with client_from(app, "198.51.100.1") as client:
        await register(client, "alice@example.com")
        for _ in range(3):
            assert (await attempt(client, "alice@example.com", WRONG)).status_code == 401
        assert (await attempt(client, "alice@example.com", PASSWORD)).status_code == 200


@pytest.mark.redis
async def test_instances_sharing_redis_share_their_counts(
    app_factory: Callable[..., Any], shared_redis: SharedRedis
) -> None:
    """Failures counted by one instance lock the account on another (same Redis)."""
    limits = {"limit_login_account": "3 per 15 minutes", **shared_redis.settings()}
    (app_a, _), (app_b, _) = await app_factory(**limits), await app_factory(**limits)
    async with client_from(app_a, "198.51.100.1") as a, client_from(app_b, "198.51.100.2") as b:
        await register(a, "alice@example.com")
        for _ in range(3):
            assert (await attempt(a, "alice@example.com", WRONG)).status_code == 401
        assert_locked(await attempt(b, "alice@example.com", PASSWORD), 15 * 60)
