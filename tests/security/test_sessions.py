"""Attacks on sessions and credentials: logins in flight during a password change or
a disable, stale hash upgrades, sessions that never end, session floods, IPv6
address rotation, and the revocation rules that had no test. On SQLite and
PostgreSQL (the ``client``/``app_factory`` fixtures run on both).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import bcrypt
import httpx
import pytest

from authgate.core.errors import InvalidCredentials, TokenRevoked, TooManyAttempts
from authgate.core.passwords import Passwords
from authgate.core.service import MAX_LIVE_SESSIONS, address_subject
from authgate.core.user_import import import_users, parse_users
from tests.conftest import FakeClock
from tests.helpers import PASSWORD, bearer, login, register, signed_up

NEW_PASSWORD = "a brand new passphrase"


def _client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


def pause_login_after_password_check(
    gate: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[asyncio.Event, asyncio.Event]:
    """Make the next login stop once its password has checked out, just before it
    stores its session, until released: the window in which a password change or a
    disable can land."""
    checked, release = asyncio.Event(), asyncio.Event()
    sessions = gate.service.sessions
    real = sessions.create

    async def paused(*args: Any, **kwargs: Any) -> bool:
        if not checked.is_set():
            checked.set()
            await release.wait()
        return bool(await real(*args, **kwargs))

    monkeypatch.setattr(sessions, "create", paused)
    return checked, release


async def login_in_flight(
    client: httpx.AsyncClient, checked: asyncio.Event, email: str, password: str = PASSWORD
) -> asyncio.Task[httpx.Response]:
    task = asyncio.create_task(
        client.post("/auth/login", json={"email": email, "password": password})
    )
    await asyncio.wait_for(checked.wait(), 10)
    return task


async def assert_no_usable_tokens(client: httpx.AsyncClient, answer: httpx.Response) -> None:
    """A login that raced a credential change either failed, or left nothing usable."""
    if answer.status_code != 200:
        return
    tokens = answer.json()
    me = await client.get("/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401, "the racing login's access token still works"
    again = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401, "the racing login's session can still be refreshed"


async def test_login_in_flight_during_a_password_change_gets_no_session(
    gate_app: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login that checked the old password before POST /auth/password, and opens
    its session after the change revoked the others, must not keep a session (three or four
    of four racing loops' sessions stayed alive, refreshable for ever)."""
    app, gate = gate_app
    async with _client(app) as client:
        first = await signed_up(client)
        checked, release = pause_login_after_password_check(gate, monkeypatch)
        racing = await login_in_flight(client, checked, "alice@example.com")
        changed = await client.post(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=bearer(first["access_token"]),
        )
        assert changed.status_code == 204, changed.text
        release.set()
        answer = await racing
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "invalid_credentials"
        await assert_no_usable_tokens(client, answer)
        sessions = await client.get("/auth/sessions", headers=bearer(first["access_token"]))
        assert len(sessions.json()) == 1


async def test_login_in_flight_when_the_account_is_disabled_gets_no_token(
    gate_app: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`authgate user disable` during a login in flight: that login answers 403
    account_disabled (its tokens answered 200 until exp in 2 runs of 7)."""
    app, gate = gate_app
    async with _client(app) as client:
        await register(client, "alice@example.com")
        checked, release = pause_login_after_password_check(gate, monkeypatch)
        racing = await login_in_flight(client, checked, "alice@example.com")
        await gate.service.disable("alice@example.com")
        release.set()
        answer = await racing
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "account_disabled"
        await assert_no_usable_tokens(client, answer)


async def test_many_logins_racing_a_password_change_keep_no_session(
    gate_app: tuple[Any, Any],
) -> None:
    """Four loops logging in with the old password while it changes: afterwards only
    the changing session lives, and no racing token works."""
    app, _ = gate_app
    async with _client(app) as client:
        first = await signed_up(client)
        stop = asyncio.Event()
        answers: list[httpx.Response] = []

        async def loop() -> None:
            while not stop.is_set():
                answers.append(
                    await client.post(
                        "/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
                    )
                )

        loops = [asyncio.create_task(loop()) for _ in range(4)]
        await asyncio.sleep(0.05)
        changed = await client.post(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=bearer(first["access_token"]),
        )
        assert changed.status_code == 204
        stop.set()
        await asyncio.gather(*loops)
        sessions = await client.get("/auth/sessions", headers=bearer(first["access_token"]))
        assert [s["current"] for s in sessions.json()] == [True]
        for answer in answers:
            await assert_no_usable_tokens(client, answer)


async def test_a_stale_hash_upgrade_cannot_undo_a_password_change(
    gate_app: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two logins of an imported (bcrypt) user read the old hash; the first one's
    session changes the password; the second, finishing late, must not write its
    upgraded old password over the new one (compare-and-set on the old hash)."""
    app, gate = gate_app
    old = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    line = json.dumps({"email": "imp@example.com", "password_hash": old})
    await import_users(gate.runtime.users, parse_users(line), now=gate.service.clock())
    async with _client(app) as client:
        checked, release = pause_login_after_password_check(gate, monkeypatch)
        stale = await login_in_flight(client, checked, "imp@example.com")
        first = await login(client, "imp@example.com")
        changed = await client.post(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=bearer(first["access_token"]),
        )
        assert changed.status_code == 204, changed.text
        release.set()
        assert (await stale).status_code == 401
        old_again = {"email": "imp@example.com", "password": PASSWORD}
        assert (await client.post("/auth/login", json=old_again)).status_code == 401
        await login(client, "imp@example.com", NEW_PASSWORD)


async def test_refreshing_never_extends_a_session_past_its_absolute_lifetime(
    app_factory: Callable[..., Awaitable[tuple[Any, Any]]], clock: FakeClock
) -> None:
    """AUTHGATE_SESSION_MAX_AGE: a session refreshed every 50 minutes (idle lifetime
    1 hour) ends 3 hours after its login (it lived for ever while refreshed), and
    its refresh cookie says so."""
    app, _ = await app_factory(refresh_ttl="1h", session_max_age="3h")
    async with _client(app) as client:
        refresh_token = (await signed_up(client))["refresh_token"]
        for _ in range(2):  # 50 and 100 minutes
            clock.advance(50 * 60)
            answer = await client.post("/auth/refresh", json={"refresh_token": refresh_token})
            assert answer.status_code == 200, answer.text
            refresh_token = answer.json()["refresh_token"]
        clock.advance(50 * 60)  # 150 minutes: 30 left
        answer = await client.post(
            "/auth/refresh?transport=cookie", json={"refresh_token": refresh_token}
        )
        assert answer.status_code == 200, answer.text
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "refresh_token=" in c)
        assert int(cookie.split("Max-Age=")[1].split(";")[0]) <= 30 * 60
        refresh_token = cookie.split("=", 1)[1].split(";")[0]
        clock.advance(30 * 60 + 1)  # 180 minutes
        answer = await client.post("/auth/refresh", json={"refresh_token": refresh_token})
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "refresh_invalid"


async def test_a_flood_of_logins_keeps_a_bounded_number_of_live_sessions(
    gate_app: tuple[Any, Any], clock: FakeClock
) -> None:
    """Logins beyond MAX_LIVE_SESSIONS end the oldest sessions, and their tokens
    (40 parallel logins made 118 sessions that lived for days)."""
    app, _ = gate_app
    async with _client(app) as client:
        oldest = await signed_up(client)
        for _ in range(MAX_LIVE_SESSIONS + 4):
            clock.advance(1)
            newest = await login(client, "alice@example.com")
        listed = await client.get("/auth/sessions", headers=bearer(newest["access_token"]))
        assert len(listed.json()) == MAX_LIVE_SESSIONS
        assert (
            await client.get("/auth/me", headers=bearer(oldest["access_token"]))
        ).status_code == 401
        refresh = await client.post(
            "/auth/refresh", json={"refresh_token": oldest["refresh_token"]}
        )
        assert refresh.status_code == 401


async def test_a_login_storm_on_one_account_does_not_hold_up_another_account(
    gate_app: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty parallel logins to one account, then one to another: the other's
    password check runs among the first few, not behind the whole storm (it took
    ten times as long)."""
    app, _gate = gate_app
    async with _client(app) as client:
        await register(client, "storm@example.com")
        await register(client, "calm@example.com", "calm account password")
        order: list[str] = []
        real = Passwords._verify_sync

        def recording(self: Passwords, password: str, stored: str) -> tuple[bool, str | None]:
            order.append(password)
            if password == PASSWORD:  # a real hash's time: the calm login's lookup
                time.sleep(0.05)  # (a database read) ends while the storm's first runs
            return real(self, password, stored)

        monkeypatch.setattr(Passwords, "_verify_sync", recording)

        def attempt(email: str, password: str) -> Awaitable[httpx.Response]:
            return client.post("/auth/login", json={"email": email, "password": password})

        storm = [attempt("storm@example.com", PASSWORD) for _ in range(20)]
        tasks = [asyncio.ensure_future(a) for a in storm]
        await asyncio.sleep(0)
        calm = await attempt("calm@example.com", "calm account password")
        assert calm.status_code == 200
        await asyncio.gather(*tasks)
        assert order.index("calm account password") <= 3, order


async def test_ipv6_clients_are_counted_by_their_slash_64(
    app_factory: Callable[..., Awaitable[tuple[Any, Any]]],
) -> None:
    """A client rotating through its /64 (2^64 addresses) is one address to the
    per-address limit (each /128 had a limit of its own); IPv4 and IPv4-mapped
    addresses stay whole."""
    assert address_subject("2001:db8:1:2:aaaa::1") == address_subject("2001:db8:1:2:ffff::9")
    assert address_subject("2001:db8:1:2::1") != address_subject("2001:db8:1:3::1")
    assert address_subject("::ffff:198.51.100.7") == "198.51.100.7"
    assert address_subject("198.51.100.7") != address_subject("198.51.100.8")
    assert address_subject("not an address") == "not an address"
    _, gate = await app_factory(limit_login_address="3 per 15 minutes")
    for host in range(3):
        with pytest.raises(InvalidCredentials):
            await gate.service.login("x@example.com", "wrong password", address=f"2001:db8::{host}")
    with pytest.raises(TooManyAttempts):
        await gate.service.login("x@example.com", "wrong password", address="2001:db8::ff:1")


# -- rules that had no test -----------------------------------------------------------


async def test_logout_all_outlives_every_token_on_every_instance_within_the_leeway(
    gate_app: tuple[Any, Any], clock: FakeClock
) -> None:
    """The revocation of logout-all is kept until exp + leeway (the last instant an
    instance whose clock lags by the leeway still accepts the token): shortening
    that horizon let a revoked token back in on a lagging instance."""
    app, gate = gate_app
    async with _client(app) as client:
        tokens = await signed_up(client)
        principal = gate.service.authenticate(tokens["access_token"])
        assert (
            await client.post("/auth/logout-all", headers=bearer(tokens["access_token"]))
        ).status_code == 204
        await gate.service.revocations.purge(principal.expires_at + gate.settings.leeway)
        assert gate.service.revocations.is_revoked(
            principal.token_id, principal.session_id, principal.id, principal.issued_at
        )


async def test_disable_revokes_tokens_issued_earlier_in_the_same_second(
    gate_app: tuple[Any, Any], clock: FakeClock
) -> None:
    """The disable cutoff covers the whole current second: a token issued at
    12:00:00.2 is refused after a disable at 12:00:00.7 (even one without a session)."""
    app, gate = gate_app
    async with _client(app) as client:
        user = await register(client, "alice@example.com")
        clock.now = math.floor(clock.now) + 0.2
        token, _ = gate.service.tokens.issue(
            user_id=user["id"], email=user["email"], session_id=None, now=clock.now
        )
        gate.service.authenticate(token)
        clock.now += 0.5
        await gate.service.disable("alice@example.com")
        with pytest.raises(TokenRevoked):
            gate.service.authenticate(token)


async def test_a_replay_within_the_grace_period_of_a_revoked_session_is_refused(
    app_factory: Callable[..., Awaitable[tuple[Any, Any]]], clock: FakeClock
) -> None:
    """The grace period hands a replayed token its successor only while the session
    is usable: after logout, a replay within the grace is refresh_invalid (without
    the check it got a fresh pair of a revoked session)."""
    app, _ = await app_factory(refresh_grace=60)
    async with _client(app) as client:
        first = await signed_up(client)
        rotated = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert rotated.status_code == 200
        logout = await client.post("/auth/logout", headers=bearer(rotated.json()["access_token"]))
        assert logout.status_code == 204
        clock.advance(5)
        replay = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert replay.status_code == 401
        assert replay.json()["code"] == "refresh_invalid"
