"""The admin API (API.md §3.3): who may use it (the role read from the database on
every call), search and paging, one user's detail, and every action with its event;
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from authgate.core.models import Passkey
from tests.conftest import FakeClock
from tests.helpers import PASSWORD, bearer, claims_of, login, register
from tests.mfa.test_totp import code

ADMIN = "boss@example.com"
TARGET = "target@example.com"
MISSING = "00000000-0000-4000-8000-000000000000"


async def admin_token(client: httpx.AsyncClient, gate: Any) -> str:
    await register(client, ADMIN)
    await gate.service.set_role(ADMIN, "admin", granted=True)
    return str((await login(client, ADMIN))["access_token"])


def every_route(user_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/admin/users"),
        ("GET", f"/admin/users/{user_id}"),
        ("POST", f"/admin/users/{user_id}/disable"),
        ("POST", f"/admin/users/{user_id}/enable"),
        ("DELETE", f"/admin/users/{user_id}/sessions"),
        ("DELETE", f"/admin/users/{user_id}/mfa"),
        ("DELETE", f"/admin/users/{user_id}/roles/auditor"),
        ("GET", "/admin/events"),
    ]


async def codes_of(client: httpx.AsyncClient, token: str, user_id: str) -> list[tuple[int, str]]:
    answers = []
    for method, path in every_route(user_id):
        answer = await client.request(method, path, headers=bearer(token))
        answers.append((answer.status_code, answer.json()["code"]))
    return answers


async def test_only_an_enabled_admin_now_may_use_it(client: httpx.AsyncClient, gate: Any) -> None:
    target = await register(client, TARGET)
    user_token = (await login(client, TARGET))["access_token"]
    assert set(await codes_of(client, user_token, target["id"])) == {(403, "forbidden")}
    for method, path in every_route(target["id"]):
        assert (await client.request(method, path)).status_code == 401

    token = await admin_token(client, gate)
    assert (await client.get("/admin/users", headers=bearer(token))).status_code == 200
    # The role gone from the database (and not one token revoked): the token still
    # says "admin", and is refused all the same.
    admin = await gate.runtime.users.by_email(ADMIN)
    await gate.runtime.users.set_roles(admin.id, [])
    assert set(await codes_of(client, token, target["id"])) == {(403, "forbidden")}
    # A disabled admin, and a logged-out admin token: 401.
    await gate.runtime.users.set_roles(admin.id, ["admin"])
    again = (await login(client, ADMIN))["access_token"]
    assert (await client.post("/auth/logout", headers=bearer(again))).status_code == 204
    assert {c for c, _ in await codes_of(client, again, target["id"])} == {401}
    last = (await login(client, ADMIN))["access_token"]
    await gate.service.disable(ADMIN)
    assert {c for c, _ in await codes_of(client, last, target["id"])} == {401}


async def test_search_by_prefix_in_any_case_pages_every_match_once(
    client: httpx.AsyncClient, gate: Any
) -> None:
    token = await admin_token(client, gate)
    emails = [f"Carol{i}@Example.com" for i in range(5)] + ["caro_l@example.com", "dave@x.io"]
    for email in emails:
        await register(client, email)
    found: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "CAROL", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await client.get("/admin/users", headers=bearer(token), params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["users"]) <= 2
        found += [user["email"] for user in body["users"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert found == [f"Carol{i}@example.com" for i in range(5)]
    first = (await client.get("/admin/users", headers=bearer(token), params={"q": "carol0"})).json()
    assert set(first["users"][0]) == {
        "id",
        "email",
        "created_at",
        "disabled",
        "email_verified",
        "roles",
        "mfa",
    }
    # LIKE's wildcards are plain characters here.
    for q, expected in (("caro_", ["caro_l@example.com"]), ("%", []), ("", None)):
        listed = await client.get("/admin/users", headers=bearer(token), params={"q": q})
        emails_found = [user["email"] for user in listed.json()["users"]]
        if expected is None:
            assert len(emails_found) == len(emails) + 1
        else:
            assert emails_found == expected
    for params in ({"limit": 0}, {"limit": 500}, {"cursor": "!!"}, {"q": "a" * 400}):
        bad = await client.get("/admin/users", headers=bearer(token), params=params)
        assert (bad.status_code, bad.json()["code"]) == (422, "validation_error"), params


async def test_disable_and_enable_act_at_once_and_are_kept_with_the_admin(
    client: httpx.AsyncClient, gate: Any
) -> None:
    token = await admin_token(client, gate)
    target = await register(client, TARGET)
    theirs = await login(client, TARGET)
    detail = await client.get(f"/admin/users/{target['id']}", headers=bearer(token))
    assert detail.status_code == 200
    body = detail.json()
    assert (body["disabled"], body["mfa"], len(body["sessions"])) == (False, False, 1)
    assert body["factors"] == {"totp": False, "passkeys": []}

    path = f"/admin/users/{target['id']}"
    assert (await client.post(f"{path}/disable", headers=bearer(token))).status_code == 204
    assert (await client.get("/auth/me", headers=bearer(theirs["access_token"]))).status_code == 401
    refused = await client.post("/auth/refresh", json={"refresh_token": theirs["refresh_token"]})
    assert refused.status_code == 401
    denied = await client.post("/auth/login", json={"email": TARGET, "password": PASSWORD})
    assert (denied.status_code, denied.json()["code"]) == (403, "account_disabled")
    assert (await client.get(path, headers=bearer(token))).json()["disabled"] is True

    assert (await client.post(f"{path}/enable", headers=bearer(token))).status_code == 204
    # Signed in again within the second of the disable (the clock has not moved): the
    # new token is issued past the cutoff, so it is not refused at once.
    again = await login(client, TARGET)
    assert (await client.get("/auth/me", headers=bearer(again["access_token"]))).status_code == 200

    events = await client.get("/admin/events", headers=bearer(token), params={"user": target["id"]})
    kinds = [(e["type"], e["actor_id"]) for e in events.json()["events"]]
    admin_id = (await client.get("/auth/me", headers=bearer(token))).json()["id"]
    assert ("account_disabled", admin_id) in kinds and ("account_enabled", admin_id) in kinds
    by_email = await client.get("/admin/events", headers=bearer(token), params={"user": TARGET})
    assert by_email.json()["events"] == events.json()["events"]

    own = await client.post(f"/admin/users/{admin_id}/disable", headers=bearer(token))
    assert (own.status_code, own.json()["code"]) == (403, "forbidden")


async def test_ending_sessions_and_removing_factors(
    client: httpx.AsyncClient, gate: Any, clock: FakeClock
) -> None:
    token = await admin_token(client, gate)
    target = await register(client, TARGET)
    theirs = await login(client, TARGET)
    setup = await client.post("/auth/mfa/totp", headers=bearer(theirs["access_token"]))
    secret = setup.json()["secret"]
    confirmed = await client.post(
        "/auth/mfa/totp/confirm",
        json={"code": code(secret, clock)},
        headers=bearer(theirs["access_token"]),
    )
    assert confirmed.status_code == 200
    path = f"/admin/users/{target['id']}"
    assert (await client.get(path, headers=bearer(token))).json()["mfa"] is True

    assert (await client.delete(f"{path}/sessions", headers=bearer(token))).status_code == 204
    assert (await client.get("/auth/me", headers=bearer(theirs["access_token"]))).status_code == 401
    assert (await client.get(path, headers=bearer(token))).json()["sessions"] == []

    assert (await client.delete(f"{path}/mfa", headers=bearer(token))).status_code == 204
    await login(client, TARGET)  # the password alone is enough again
    kinds = [
        e["type"]
        for e in (
            await client.get("/admin/events", headers=bearer(token), params={"user": TARGET})
        ).json()["events"]
    ]
    assert kinds[:3] == ["login", "mfa_disabled", "sessions_revoked"]


async def test_unknown_users_types_and_bad_ids(client: httpx.AsyncClient, gate: Any) -> None:
    token = await admin_token(client, gate)
    for method, path in every_route(MISSING)[1:7]:
        answer = await client.request(method, path, headers=bearer(token))
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), path
    for bad in ("not-an-id", "'; DROP TABLE users; --", MISSING.upper()):
        answer = await client.get(f"/admin/users/{bad}", headers=bearer(token))
        assert answer.status_code == 404
    wrong_type = await client.get("/admin/events", headers=bearer(token), params={"type": "x"})
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (422, "validation_error")
    logins = await client.get("/admin/events", headers=bearer(token), params={"type": "login"})
    assert {e["type"] for e in logins.json()["events"]} == {"login"}
    nobody = await client.get(
        "/admin/events", headers=bearer(token), params={"user": "ghost@example.com"}
    )
    assert nobody.json() == {"events": [], "next_cursor": None}


@pytest.mark.postgres
async def test_the_prefix_search_uses_its_index_on_postgresql(
    postgres_url: str, app_factory: Any
) -> None:
    _app, gate = await app_factory(database_url=postgres_url)
    async with gate.db.connect() as conn:
        await conn.execute(text("SET enable_seqscan = off"))
        plan = await conn.execute(
            text(
                'EXPLAIN (FORMAT JSON) SELECT id FROM users WHERE email_key COLLATE "C" >= :low '
                'AND email_key COLLATE "C" < :high ORDER BY email_key COLLATE "C" LIMIT 51'
            ),
            {"low": "carol", "high": "carol\U0010ffff"},
        )
        described = json.dumps(plan.scalar())
    assert "ix_users_email_key_bytes" in described


async def test_roles_granted_and_taken_back_through_the_api(
    client: httpx.AsyncClient, gate: Any, clock: FakeClock
) -> None:
    token = await admin_token(client, gate)
    target = await register(client, TARGET)
    theirs = await login(client, TARGET)
    path = f"/admin/users/{target['id']}/roles"
    granted = await client.post(path, json={"role": "auditor"}, headers=bearer(token))
    assert (granted.status_code, granted.json()["roles"]) == (200, ["auditor"])
    clock.advance(2)
    with_role = await login(client, TARGET)
    assert "auditor" in claims_of(with_role["access_token"])["roles"]
    taken = await client.delete(f"{path}/auditor", headers=bearer(token))
    assert (taken.status_code, taken.json()["roles"]) == (200, [])
    # Taking a role back refuses the tokens that carried it...
    assert (await client.get("/auth/me", headers=bearer(theirs["access_token"]))).status_code == 401
    me = await client.get("/auth/me", headers=bearer(with_role["access_token"]))
    assert me.json()["code"] == "token_revoked"
    # ...and a refresh in the same second gets a token without it that is not refused.
    refresh = {"refresh_token": with_role["refresh_token"]}
    renewed = (await client.post("/auth/refresh", json=refresh)).json()
    assert "roles" not in claims_of(renewed["access_token"])
    me = await client.get("/auth/me", headers=bearer(renewed["access_token"]))
    assert me.status_code == 200
    for body in ({"role": "Not A Role"}, {"role": 7}, {}):
        bad = await client.post(path, json=body, headers=bearer(token))
        assert (bad.status_code, bad.json()["code"]) == (422, "validation_error"), body
    admin_id = (await client.get("/auth/me", headers=bearer(token))).json()["id"]
    own = await client.delete(f"/admin/users/{admin_id}/roles/admin", headers=bearer(token))
    assert (own.status_code, own.json()["code"]) == (403, "forbidden")
    clock.advance(2)
    user_token = (await login(client, TARGET))["access_token"]
    refused = await client.post(path, json={"role": "admin"}, headers=bearer(user_token))
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    kinds = [
        (e["type"], e["detail"], e["actor_id"])
        for e in (
            await client.get("/admin/events", headers=bearer(token), params={"user": TARGET})
        ).json()["events"]
        if e["type"].startswith("role_")
    ]
    assert kinds == [
        ("role_removed", {"role": "auditor"}, admin_id),
        ("role_added", {"role": "auditor"}, admin_id),
    ]


async def test_acting_on_an_account_needs_a_recent_sign_in(
    client: httpx.AsyncClient, gate: Any, clock: FakeClock
) -> None:
    token = await admin_token(client, gate)
    target = await register(client, TARGET)
    clock.advance(gate.settings.reauth_max_age + 1)
    for method, path in every_route(target["id"]):
        answer = await client.request(method, path, headers=bearer(token))
        if method == "GET":
            assert answer.status_code == 200, path
        else:
            assert (answer.status_code, answer.json()["code"]) == (403, "reauth_required"), path
    fresh = (await login(client, ADMIN))["access_token"]
    done = await client.post(f"/admin/users/{target['id']}/disable", headers=bearer(fresh))
    assert done.status_code == 204


async def test_a_non_admin_learns_nothing_from_an_id(client: httpx.AsyncClient) -> None:
    await register(client, TARGET)
    token = (await login(client, TARGET))["access_token"]
    for user_id in ("not-an-id", MISSING):
        answer = await client.get(f"/admin/users/{user_id}", headers=bearer(token))
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")


async def test_removing_the_passkeys_of_a_user_without_an_app_is_an_event(
    client: httpx.AsyncClient, gate: Any
) -> None:
    token = await admin_token(client, gate)
    target = await register(client, TARGET)
    await gate.service.passkeys.store.add(
        Passkey(
            id=str(uuid.uuid4()),
            user_id=target["id"],
            credential_id="Y3JlZA",
            public_key=b"\x00",
            sign_count=0,
            name="Key",
            created_at=datetime.now(UTC),
        )
    )
    path = f"/admin/users/{target['id']}"
    assert (await client.get(path, headers=bearer(token))).json()["mfa"] is True
    assert (await client.delete(f"{path}/mfa", headers=bearer(token))).status_code == 204
    assert (await client.get(path, headers=bearer(token))).json()["factors"]["passkeys"] == []
    listed = await client.get("/admin/events", headers=bearer(token), params={"user": TARGET})
    first = listed.json()["events"][0]
    assert (first["type"], first["detail"]) == ("mfa_disabled", {"method": "all"})
    # Nothing left to remove: no second event.
    assert (await client.delete(f"{path}/mfa", headers=bearer(token))).status_code == 204
    again = await client.get("/admin/events", headers=bearer(token), params={"user": TARGET})
    assert again.json()["events"][0]["id"] == first["id"]
