"""User enumeration by time: a failed login takes as long for an unknown email as for
an Argon2 user or an imported bcrypt user, and costly imported hashes are refused.

The durations asserted are lower bounds, which a sleep guarantees: they cannot fail
because the machine is slow. The spread between the kinds is measured by
``benchmarks/login_timing.py``, not asserted.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import bcrypt
import httpx
import pytest

from authgate.core.passwords import MAX_BCRYPT_COST, Argon2Params
from authgate.core.settings import Settings
from authgate.core.user_import import import_users, parse_users
from tests.conftest import FakeClock
from tests.helpers import PASSWORD, register

#: Cheap Argon2id, and failures made as slow as verifying a cost-8 bcrypt hash.
PARAMS = Argon2Params(time_cost=1, memory_cost=1024, parallelism=1, bcrypt_cost=8)


@pytest.fixture
async def timed_gate(
    make_settings: Callable[..., Settings], database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    from authgate.web.app import create_app
    from authgate.web.gate import AuthGate

    gate = AuthGate(make_settings(database_url=database_url), password_params=PARAMS, clock=clock)
    app = create_app(gate=gate)
    async with gate.lifespan(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            yield client, gate


async def _failed_login_seconds(client: httpx.AsyncClient, email: str) -> float:
    started = time.perf_counter()
    answer = await client.post("/auth/login", json={"email": email, "password": "not it at all"})
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_credentials"
    return time.perf_counter() - started


async def test_failed_logins_last_the_floor_for_unknown_argon2_and_imported_users(
    timed_gate: tuple[httpx.AsyncClient, Any],
) -> None:
    """A wrong password took 34 ms for an unknown email or an Argon2 user and 67 ms to
    2.8 s for an imported bcrypt user: the time told who is registered. Every failure
    now lasts at least the floor (the slowest verification, times a margin)."""
    client, gate = timed_gate
    await register(client, "argon@example.com")
    imported = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(PARAMS.bcrypt_cost)).decode()
    line = json.dumps({"email": "bcrypt@example.com", "password_hash": imported})
    await import_users(gate.runtime.users, parse_users(line), now=gate.service.clock())
    await _failed_login_seconds(client, "warm-up@example.com")  # measures the floor once
    floor = gate.service.passwords._floor
    assert floor is not None and floor > 0
    for email in ("nobody@example.com", "argon@example.com", "bcrypt@example.com"):
        for _ in range(2):
            assert await _failed_login_seconds(client, email) >= floor * 0.99, email


@pytest.mark.parametrize(
    ("cost", "accepted"),
    [
        pytest.param(MAX_BCRYPT_COST, True, id="cost-12"),
        pytest.param(MAX_BCRYPT_COST + 1, False, id="cost-13"),
        pytest.param(15, False, id="cost-15"),
    ],
)
def test_import_refuses_bcrypt_costs_that_would_stall_logins(cost: int, accepted: bool) -> None:
    """A cost-15 hash took 2.8 s per wrong login and held up everyone's logins for
    seconds: costs above 12 are refused per row, with the reason."""
    salt = "$2b$" + f"{cost:02d}" + "$" + "a" * 53
    batch = parse_users(json.dumps({"email": "old@example.com", "password_hash": salt}))
    assert (len(batch.rows) == 1) is accepted
    if not accepted:
        (problem,) = batch.problems
        assert f"bcrypt cost {cost}" in problem.reason
        assert "a" * 53 not in problem.reason
