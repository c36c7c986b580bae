"""Refresh rotation with reuse detection, logout, logout-all, password change,
the sessions list, disabling (API.md §3, RFC 9700 §4.14)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD, bearer, login, register, signed_up


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/auth/refresh", json={"refresh_token": token})


async def plans_status(client: httpx.AsyncClient, access: str) -> tuple[int, str]:
    response = await client.get("/plans", headers=bearer(access))
    body = response.json()
    return response.status_code, body.get("code", "") if isinstance(body, dict) else ""


async def test_refresh_rotates_the_refresh_token(client: httpx.AsyncClient) -> None:
    """Each refresh answers a new pair; the new access token works."""
    first = await signed_up(client)
    response = await refresh(client, first["refresh_token"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert await plans_status(client, second["access_token"]) == (200, "")
    third = (await refresh(client, second["refresh_token"])).json()
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


async def test_reuse_revokes_the_whole_session(client: httpx.AsyncClient) -> None:
    """A rotated-out token presented again: refresh_reused, and every token of the
    session dies: the newest refresh token and the session's access tokens."""
    first = await signed_up(client)
    second = (await refresh(client, first["refresh_token"])).json()
    reused = await refresh(client, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_reused"
    newest = await refresh(client, second["refresh_token"])
    assert newest.status_code == 401
    assert newest.json()["code"] == "refresh_invalid"
    assert await plans_status(client, second["access_token"]) == (401, "token_revoked")
    assert await plans_status(client, first["access_token"]) == (401, "token_revoked")


async def test_reuse_leaves_other_sessions_alone(client: httpx.AsyncClient) -> None:
    """Only the session whose token was reused is revoked."""
    await register(client, "alice@example.com")
    one = await login(client, "alice@example.com")
    two = await login(client, "alice@example.com")
    await refresh(client, one["refresh_token"])
    await refresh(client, one["refresh_token"])
    assert await plans_status(client, two["access_token"]) == (200, "")
    assert (await refresh(client, two["refresh_token"])).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"refresh_token": "not-a-token-we-issued"}, id="unknown"),
        pytest.param({"refresh_token": ""}, id="empty"),
        pytest.param({"refresh_token": "x" * 300}, id="too-long-to-be-ours"),
        pytest.param({}, id="absent"),
        pytest.param(None, id="no-body"),
    ],
)
async def test_bad_refresh_tokens_are_refresh_invalid(
    client: httpx.AsyncClient, body: dict[str, str] | None
) -> None:
    """Anything but a live refresh token is 401 refresh_invalid."""
    response = (
        await client.post("/auth/refresh", json=body)
        if body is not None
        else (await client.post("/auth/refresh"))
    )
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "refresh_invalid"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "content",
    [b'{"refresh_token": 5}', b"[1]", b"{oops"],
)
async def test_malformed_refresh_bodies_are_422(client: httpx.AsyncClient, content: bytes) -> None:
    """A body that is not {refresh_token: string} is a validation error."""
    response = await client.post(
        "/auth/refresh", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_refresh_tokens_expire_with_the_session(
    client: httpx.AsyncClient, clock: Any
) -> None:
    """After the refresh TTL (7 days on the web profile) the token is refused."""
    tokens = await signed_up(client)
    clock.advance(7 * 86400 + 1)
    response = await refresh(client, tokens["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_invalid"


async def test_sessions_slide_while_used(client: httpx.AsyncClient, clock: Any) -> None:
    """Each refresh gives the session another full refresh TTL."""
    tokens = await signed_up(client)
    for _ in range(3):
        clock.advance(6 * 86400)
        response = await refresh(client, tokens["refresh_token"])
        assert response.status_code == 200
        tokens = response.json()


async def test_concurrent_refreshes_have_exactly_one_winner(client: httpx.AsyncClient) -> None:
    """Racing refreshes of one token: one 200, the rest 401, never 500 or two winners."""
    tokens = await signed_up(client)
    responses = await asyncio.gather(*(refresh(client, tokens["refresh_token"]) for _ in range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * 7, [r.text for r in responses]


async def test_grace_period_hands_the_loser_the_winners_successor(app_factory: Any) -> None:
    """With AUTHGATE_REFRESH_GRACE, a just-rotated token gets the same successor."""
    app, _ = await app_factory(refresh_grace=30)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://t"
    ) as client:
        tokens = await signed_up(client)
        winner = (await refresh(client, tokens["refresh_token"])).json()
        loser = await refresh(client, tokens["refresh_token"])
        assert loser.status_code == 200
        assert loser.json()["refresh_token"] == winner["refresh_token"]
        assert await plans_status(client, loser.json()["access_token"]) == (200, "")
        assert (await refresh(client, winner["refresh_token"])).status_code == 200


async def test_grace_period_hands_over_the_current_successor(app_factory: Any) -> None:
    """T rotated to A, then A to B: T presented again within the grace period gets
    B, the token in force, not A (already rotated, reuse once the grace ends)."""
    app, _ = await app_factory(refresh_grace=30)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://t"
    ) as client:
        first = (await signed_up(client))["refresh_token"]
        second = (await refresh(client, first)).json()["refresh_token"]
        third = (await refresh(client, second)).json()["refresh_token"]
        again = await refresh(client, first)
        assert again.status_code == 200
        assert again.json()["refresh_token"] == third
        assert (await refresh(client, third)).status_code == 200


async def test_grace_period_ends(app_factory: Any, clock: Any) -> None:
    """After the grace period, presenting the old token again is reuse."""
    app, _ = await app_factory(refresh_grace=30)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://t"
    ) as client:
        tokens = await signed_up(client)
        await refresh(client, tokens["refresh_token"])
        clock.advance(31)
        late = await refresh(client, tokens["refresh_token"])
        assert late.status_code == 401
        assert late.json()["code"] == "refresh_reused"


async def test_logout_revokes_the_session_and_the_token(client: httpx.AsyncClient) -> None:
    """Logout: 204; the access token is token_revoked, the refresh token dead;
    the user's other sessions go on."""
    await register(client, "alice@example.com")
    current = await login(client, "alice@example.com")
    other = await login(client, "alice@example.com")
    response = await client.post("/auth/logout", headers=bearer(current["access_token"]))
    assert response.status_code == 204
    assert await plans_status(client, current["access_token"]) == (401, "token_revoked")
    assert (await refresh(client, current["refresh_token"])).json()["code"] == "refresh_invalid"
    assert await plans_status(client, other["access_token"]) == (200, "")


async def test_revoked_answer_has_the_rfc6750_challenge(client: httpx.AsyncClient) -> None:
    """token_revoked carries error="invalid_token" in WWW-Authenticate."""
    tokens = await signed_up(client)
    await client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    response = await client.get("/plans", headers=bearer(tokens["access_token"]))
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_logout_all_revokes_everything_issued_before(client: httpx.AsyncClient) -> None:
    """logout-all: every session and access token of the user dies; a new login works
    at once (even within the same second); other users are untouched."""
    await register(client, "alice@example.com")
    sessions = [await login(client, "alice@example.com") for _ in range(3)]
    bob = await signed_up(client, "bob@example.com")
    response = await client.post("/auth/logout-all", headers=bearer(sessions[0]["access_token"]))
    assert response.status_code == 204
    for tokens in sessions:
        assert await plans_status(client, tokens["access_token"]) == (401, "token_revoked")
        assert (await refresh(client, tokens["refresh_token"])).status_code == 401
    fresh = await login(client, "alice@example.com")
    assert await plans_status(client, fresh["access_token"]) == (200, "")
    assert await plans_status(client, bob["access_token"]) == (200, "")


async def test_password_change(client: httpx.AsyncClient) -> None:
    """The new password works, the old does not; other sessions are revoked, the
    current one is kept."""
    await register(client, "alice@example.com")
    current = await login(client, "alice@example.com")
    other = await login(client, "alice@example.com")
    new = "a brand new passphrase"
    response = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=bearer(current["access_token"]),
    )
    assert response.status_code == 204
    assert await plans_status(client, current["access_token"]) == (200, "")
    assert (await refresh(client, current["refresh_token"])).status_code == 200
    assert await plans_status(client, other["access_token"]) == (401, "token_revoked")
    assert (await refresh(client, other["refresh_token"])).status_code == 401
    old = await client.post(
        "/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401
    await login(client, "alice@example.com", new)


async def test_password_change_errors(client: httpx.AsyncClient) -> None:
    """Wrong current password: 401 invalid_credentials; too-short new one: 422."""
    tokens = await signed_up(client)
    wrong = await client.post(
        "/auth/password",
        json={"current_password": "not my password", "new_password": "whatever123"},
        headers=bearer(tokens["access_token"]),
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    short = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=bearer(tokens["access_token"]),
    )
    assert short.status_code == 422
    assert short.json()["code"] == "validation_error"
    missing = await client.post("/auth/password", json={}, headers=bearer(tokens["access_token"]))
    assert missing.status_code == 422
    assert await plans_status(client, tokens["access_token"]) == (200, "")


async def test_sessions_list(client: httpx.AsyncClient) -> None:
    """Each login is a session with its user agent; the caller's is marked current."""
    await register(client, "alice@example.com")
    creds = {"email": "alice@example.com", "password": PASSWORD}
    phone = (await client.post("/auth/login", json=creds, headers={"User-Agent": "Phone/1"})).json()
    laptop = (
        await client.post("/auth/login", json=creds, headers={"User-Agent": "Laptop/2"})
    ).json()
    response = await client.get("/auth/sessions", headers=bearer(laptop["access_token"]))
    assert response.status_code == 200
    listed = response.json()
    assert len(listed) == 2
    for entry in listed:
        assert set(entry) == {"id", "created_at", "last_used_at", "user_agent", "current"}
    by_agent = {entry["user_agent"]: entry for entry in listed}
    assert by_agent["Laptop/2"]["current"] is True
    assert by_agent["Phone/1"]["current"] is False
    assert phone["access_token"]


async def test_revoking_one_session(client: httpx.AsyncClient) -> None:
    """DELETE /auth/sessions/{id} revokes that session only; unknown ids are 404."""
    await register(client, "alice@example.com")
    keep = await login(client, "alice@example.com")
    drop = await login(client, "alice@example.com")
    listed = (await client.get("/auth/sessions", headers=bearer(keep["access_token"]))).json()
    target = next(s["id"] for s in listed if not s["current"])
    response = await client.delete(f"/auth/sessions/{target}", headers=bearer(keep["access_token"]))
    assert response.status_code == 204
    assert await plans_status(client, drop["access_token"]) == (401, "token_revoked")
    assert (await refresh(client, drop["refresh_token"])).status_code == 401
    assert await plans_status(client, keep["access_token"]) == (200, "")
    again = await client.delete(f"/auth/sessions/{target}", headers=bearer(keep["access_token"]))
    assert again.status_code == 404
    assert again.json()["code"] == "not_found"
    for bad in ("nope", "00000000-0000-0000-0000-000000000000", "%27%20OR%201=1"):
        response = await client.delete(
            f"/auth/sessions/{bad}", headers=bearer(keep["access_token"])
        )
        assert response.status_code == 404


async def test_another_users_session_is_404(client: httpx.AsyncClient) -> None:
    """A session of someone else's cannot be seen or revoked."""
    alice = await signed_up(client, "alice@example.com")
    bob = await signed_up(client, "bob@example.com")
    bobs = (await client.get("/auth/sessions", headers=bearer(bob["access_token"]))).json()
    response = await client.delete(
        f"/auth/sessions/{bobs[0]['id']}", headers=bearer(alice["access_token"])
    )
    assert response.status_code == 404
    assert await plans_status(client, bob["access_token"]) == (200, "")


async def test_disabled_users(client: httpx.AsyncClient, gate: Any) -> None:
    """Disabling revokes everything; the right password then gets 403 account_disabled,
    a wrong one the usual 401."""
    tokens = await signed_up(client, "alice@example.com")
    await gate.service.disable("ALICE@example.com")
    assert await plans_status(client, tokens["access_token"]) == (401, "token_revoked")
    assert (await refresh(client, tokens["refresh_token"])).status_code == 401
    right = await client.post(
        "/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert right.status_code == 403
    assert right.json()["code"] == "account_disabled"
    wrong = await client.post(
        "/auth/login", json={"email": "alice@example.com", "password": "wrong password"}
    )
    assert wrong.status_code == 401


async def test_revocations_survive_a_restart(app_factory: Any) -> None:
    """A second app on the same database refuses what the first revoked."""
    first_app, _ = await app_factory()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first_app), base_url="https://t"
    ) as first:
        tokens = await signed_up(first)
        kept = await login(first, "alice@example.com")
        await first.post("/auth/logout", headers=bearer(tokens["access_token"]))
    second_app, _ = await app_factory()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second_app), base_url="https://t"
    ) as second:
        assert await plans_status(second, tokens["access_token"]) == (401, "token_revoked")
        assert await plans_status(second, kept["access_token"]) == (200, "")


async def test_email_uniqueness_ignores_case(client: httpx.AsyncClient) -> None:
    """Alice@X and alice@x are one account: 409 email_taken; login in any case works."""
    await register(client, "Alice@Example.com")
    response = await client.post(
        "/auth/register", json={"email": "alice@EXAMPLE.com", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    await login(client, "ALICE@example.COM")


async def test_twenty_concurrent_registrations(client: httpx.AsyncClient) -> None:
    """Twenty registrations of one email at once: one 201 and nineteen 409."""
    responses = await asyncio.gather(
        *(
            client.post(
                "/auth/register",
                json={"email": f"{'RACE' if i % 2 else 'race'}@example.com", "password": PASSWORD},
            )
            for i in range(20)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, statuses
