"""Security events (API.md §3.3): what each action keeps, ``GET /auth/events``, the
transaction guarantee, lockouts kept once, retention, the log line; on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import bindparam, select, update

from authgate.core.events import EventLog, FixedOrigin, set_origin, take_pending
from authgate.logconfig import JsonFormatter
from authgate.storage.sql.events import SqlEvents
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import events, users
from tests.conftest import FakeClock
from tests.helpers import PASSWORD, bearer, login, register
from tests.mfa.test_totp import EMAIL, code, set_up

UA = {"User-Agent": "EventsTest/1.0"}


async def my_events(client: httpx.AsyncClient, token: str, **params: Any) -> Any:
    response = await client.get("/auth/events", headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    return response.json()


async def stored(gate: Any) -> list[Any]:
    """Every row of the events table, oldest first."""
    async with gate.db.connect() as conn:
        return list((await conn.execute(select(events).order_by(events.c.id))).all())


async def test_each_action_keeps_its_event_with_address_and_user_agent(
    client: httpx.AsyncClient, gate: Any
) -> None:
    await register(client, EMAIL)
    wrong = await client.post(
        "/auth/login", json={"email": EMAIL, "password": "not the password"}, headers=UA
    )
    assert wrong.status_code == 401
    first = (await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})).json()
    changed = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "another good password"},
        headers={**bearer(first["access_token"]), **UA},
    )
    assert changed.status_code == 204
    out = await client.post("/auth/logout", headers=bearer(first["access_token"]))
    assert out.status_code == 204
    tokens = await login(client, EMAIL, "another good password")

    page = await my_events(client, tokens["access_token"])
    kinds = [event["type"] for event in page["events"]]
    assert kinds == ["login", "logout", "password_changed", "login", "login_failed", "registered"]
    assert page["next_cursor"] is None
    failed = page["events"][4]
    assert set(failed) == {"id", "type", "at", "ip", "user_agent"}
    assert (failed["ip"], failed["user_agent"]) == ("203.0.113.7", "EventsTest/1.0")
    assert [e["id"] for e in page["events"]] == sorted(
        (e["id"] for e in page["events"]), reverse=True
    )


async def test_events_never_hold_a_password_a_token_or_a_code(
    client: httpx.AsyncClient, gate: Any, clock: FakeClock
) -> None:
    secret, codes, tokens = await set_up(client, clock)
    await client.post("/auth/login", json={"email": EMAIL, "password": "wrong password typed"})
    challenge = await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    mfa_token = challenge.json()["mfa_token"]
    bad = await client.post("/auth/login/mfa", json={"mfa_token": mfa_token, "code": "000000"})
    assert bad.status_code == 401
    good = await client.post(
        "/auth/login/mfa", json={"mfa_token": mfa_token, "code": code(secret, clock)}
    )
    assert good.status_code == 200
    refreshed = await client.post(
        "/auth/refresh", json={"refresh_token": good.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200
    rows = await stored(gate)
    kinds = [row.type for row in rows]
    for kind in ("mfa_enabled", "login_failed", "mfa_failed", "login"):
        assert kind in kinds
    text = json.dumps([[str(value) for value in row] for row in rows])
    secrets = [
        PASSWORD,
        "wrong password typed",
        secret,
        mfa_token,
        *codes,
        tokens["access_token"],
        tokens["refresh_token"],
        good.json()["access_token"],
        good.json()["refresh_token"],
        refreshed.json()["refresh_token"],
    ]
    for value in secrets:
        assert value not in text


async def test_an_unknown_email_is_kept_without_an_account_and_shown_to_no_one(
    client: httpx.AsyncClient, gate: Any
) -> None:
    await register(client, EMAIL)
    tokens = await login(client, EMAIL)
    refused = await client.post(
        "/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 401
    rows = [row for row in await stored(gate) if row.type == "login_failed"]
    assert [(row.user_id, json.loads(row.detail)) for row in rows] == [
        (None, {"reason": "unknown_account"})
    ]
    assert "nobody" not in json.dumps([[str(v) for v in row] for row in await stored(gate)])
    mine = await my_events(client, tokens["access_token"])
    assert "login_failed" not in [event["type"] for event in mine["events"]]


async def test_refresh_reuse_is_kept_with_the_session_it_revoked(
    client: httpx.AsyncClient, gate: Any
) -> None:
    await register(client, EMAIL)
    tokens = await login(client, EMAIL)
    first = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    again = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.json()["code"] == "refresh_reused"
    reused = [row for row in await stored(gate) if row.type == "refresh_reused"]
    login_row = next(row for row in await stored(gate) if row.type == "login")
    assert len(reused) == 1
    assert json.loads(reused[0].detail)["session_id"] == json.loads(login_row.detail)["session_id"]


async def test_paging_walks_every_event_once_and_refuses_bad_input(
    client: httpx.AsyncClient,
) -> None:
    await register(client, EMAIL)
    for _ in range(4):
        tokens = await login(client, EMAIL)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await my_events(client, tokens["access_token"], **params)
        assert len(page["events"]) <= 2
        seen += [event["id"] for event in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(set(seen), reverse=True)
    for params in (
        {"limit": 0},
        {"limit": 201},
        {"limit": "x"},
        {"cursor": "%%%"},
        {"cursor": "YWJj"},
    ):
        bad = await client.get(
            "/auth/events", headers=bearer(tokens["access_token"]), params=params
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "validation_error"), params
    assert (await client.get("/auth/events")).status_code == 401


async def test_a_lockout_is_kept_once_however_often_it_refuses(
    app_factory: Any, clock: FakeClock
) -> None:
    app, gate = await app_factory(limit_login_account="3 per 15 minutes")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
        await register(client, EMAIL)
        statuses = []
        for _ in range(7):
            answer = await client.post("/auth/login", json={"email": EMAIL, "password": "nope"})
            statuses.append(answer.status_code)
    assert statuses == [401, 401, 401, 429, 429, 429, 429]
    kinds = [row.type for row in await stored(gate)]
    assert kinds.count("login_failed") == 3
    assert kinds.count("locked_out") == 1


async def test_an_event_is_kept_exactly_when_its_write_commits(gate: Any) -> None:
    log = EventLog(SqlEvents(gate.db), lambda: 1_800_000_000.0)
    user = await gate.service.register("kept@example.com", PASSWORD)
    guarded = Prepared(
        update(users).where(users.c.id == bindparam("uid")).values(roles=bindparam("r"))
    )
    set_origin(FixedOrigin(ip="192.0.2.1"))
    log.note("role_added", user.id, role="x")
    assert not await gate.db.write([(guarded, {"uid": "no-such-id", "r": "x"})], guard=True)
    log.note("role_added", user.id, role="y")
    assert await gate.db.write([(guarded, {"uid": user.id, "r": "y"})], guard=True)
    assert take_pending() == []
    kept = [row for row in await stored(gate) if row.type == "role_added"]
    assert [(json.loads(row.detail), row.ip) for row in kept] == [({"role": "y"}, "192.0.2.1")]


async def test_old_events_are_pruned_after_the_retention(
    app_factory: Any, clock: FakeClock
) -> None:
    _app, gate = await app_factory(events_retention="30d")
    await gate.service.register("old@example.com", PASSWORD)
    clock.advance(29 * 86400)
    await gate.service.register("new@example.com", PASSWORD)
    clock.advance(2 * 86400)
    await gate.service.purge()
    assert [row.type for row in await stored(gate)] == ["registered"]
    assert (await stored(gate))[0].at.timestamp() == pytest.approx(clock() - 2 * 86400)


async def test_one_log_line_per_event_and_json_lines(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="authgate.events"):
        await register(client, EMAIL)
        await login(client, EMAIL)
    records = [r for r in caplog.records if r.name == "authgate.events"]
    assert [r.security_event["event"] for r in records] == ["registered", "login"]  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter().format(records[1]))
    assert line["event"] == "login" and line["ip"] == "203.0.113.7"
    assert line["logger"] == "authgate.events" and line["level"] == "INFO"
    assert line["time"].endswith("Z") and line["at"].endswith("Z")
    assert PASSWORD not in json.dumps(line)
