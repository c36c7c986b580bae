"""Authenticator apps and recovery codes through the API (API.md §3.2), on SQLite and
PostgreSQL, with the app's clock moved instead of waiting for codes to change."""

from __future__ import annotations

from typing import Any

import httpx
import pyotp
import pytest

from tests.helpers import PASSWORD, bearer, claims_of, login, register

EMAIL = "alice@example.com"


def code(secret: str, clock: Any, offset: float = 0) -> str:
    return str(pyotp.TOTP(secret).at(clock() + offset))


async def set_up(client: httpx.AsyncClient, clock: Any) -> tuple[str, list[str], Any]:
    """Register, sign in, set up the app: (secret, recovery codes, tokens)."""
    await register(client, EMAIL)
    tokens = await login(client, EMAIL)
    started = await client.post("/auth/mfa/totp", headers=bearer(tokens["access_token"]))
    assert started.status_code == 200, started.text
    assert started.headers["cache-control"] == "no-store"
    setup = started.json()
    assert set(setup) == {"secret", "otpauth_uri", "qr_svg"}
    assert setup["otpauth_uri"].startswith("otpauth://totp/authgate:alice%40example.com?")
    assert "issuer=authgate" in setup["otpauth_uri"]
    assert setup["qr_svg"].lstrip().startswith("<svg")
    confirmed = await client.post(
        "/auth/mfa/totp/confirm",
        json={"code": code(setup["secret"], clock)},
        headers=bearer(tokens["access_token"]),
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    clock.advance(30)  # the confirming code's step is used: sign-ins use the next one
    return setup["secret"], codes, tokens


async def password_step(client: httpx.AsyncClient, **params: str) -> Any:
    response = await client.post(
        "/auth/login", json={"email": EMAIL, "password": PASSWORD}, params=params
    )
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "mfa_required"
    assert body["methods"] == ["totp", "recovery_code"] and body["expires_in"] == 300
    assert "access_token" not in body and "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    return body["mfa_token"]


async def second_step(client: httpx.AsyncClient, mfa_token: str, value: str) -> httpx.Response:
    return await client.post("/auth/login/mfa", json={"mfa_token": mfa_token, "code": value})


async def test_a_sign_in_with_an_app_takes_a_code(client: httpx.AsyncClient, clock: Any) -> None:
    secret, _, _ = await set_up(client, clock)
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in code(secret, clock))  # isdigit() too
    refused = await second_step(client, await password_step(client), fullwidth)
    assert (refused.status_code, refused.json()["code"]) == (401, "mfa_invalid")
    token = await password_step(client)
    answer = await second_step(client, token, code(secret, clock))
    assert answer.status_code == 200, answer.text
    claims = claims_of(answer.json()["access_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["auth_time"] == int(clock())
    me = await client.get("/auth/me", headers=bearer(answer.json()["access_token"]))
    assert me.json()["mfa"] == {"totp": True, "passkeys": 0}
    clock.advance(60)
    refreshed = await client.post(
        "/auth/refresh", json={"refresh_token": answer.json()["refresh_token"]}
    )
    kept = claims_of(refreshed.json()["access_token"])
    assert (kept["amr"], kept["auth_time"]) == (claims["amr"], claims["auth_time"])
    assert kept["iat"] > claims["auth_time"]


async def test_a_code_is_accepted_once(client: httpx.AsyncClient, clock: Any) -> None:
    secret, _, _ = await set_up(client, clock)
    value = code(secret, clock)
    assert (await second_step(client, await password_step(client), value)).status_code == 200
    replay = await second_step(client, await password_step(client), value)
    assert (replay.status_code, replay.json()["code"]) == (401, "mfa_invalid")


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-30, True), (30, True), (-60, False), (90, False)]
)
async def test_one_step_of_drift_is_allowed(
    client: httpx.AsyncClient, clock: Any, offset: float, accepted: bool
) -> None:
    secret, _, _ = await set_up(client, clock)
    clock.advance(60)
    answer = await second_step(client, await password_step(client), code(secret, clock, offset))
    assert (answer.status_code == 200) is accepted, answer.text


async def test_the_mfa_token_dies_after_five_wrong_codes(
    client: httpx.AsyncClient, clock: Any
) -> None:
    secret, _, _ = await set_up(client, clock)
    token = await password_step(client)
    for _ in range(5):
        wrong = await second_step(
            client, token, "000000" if code(secret, clock) != "000000" else "111111"
        )
        assert (wrong.status_code, wrong.json()["code"]) == (401, "mfa_invalid")
        assert wrong.headers["www-authenticate"] == "Bearer"
    dead = await second_step(client, token, code(secret, clock))
    assert (dead.status_code, dead.json()["code"]) == (401, "mfa_invalid")


async def test_the_mfa_token_expires_and_is_single_use(
    client: httpx.AsyncClient, clock: Any
) -> None:
    secret, _, _ = await set_up(client, clock)
    token = await password_step(client)
    clock.advance(301)
    expired = await second_step(client, token, code(secret, clock))
    assert expired.status_code == 401
    token = await password_step(client)
    assert (await second_step(client, token, code(secret, clock))).status_code == 200
    clock.advance(30)
    again = await second_step(client, token, code(secret, clock))
    assert again.status_code == 401


async def test_wrong_codes_count_toward_the_account_lockout(app_factory: Any, clock: Any) -> None:
    app, _ = await app_factory(limit_login_account="3 per 15 minutes")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        secret, _, _ = await set_up(http, clock)
        token = await password_step(http)
        for _ in range(3):
            assert (await second_step(http, token, "12345x")).status_code == 401
        locked = await second_step(http, token, code(secret, clock))
        assert (locked.status_code, locked.json()["code"]) == (429, "too_many_attempts")


async def test_recovery_codes_are_single_use_and_regenerating_voids_them(
    client: httpx.AsyncClient, clock: Any
) -> None:
    _, codes, _ = await set_up(client, clock)
    first = await second_step(client, await password_step(client), codes[0].upper())
    assert first.status_code == 200, first.text
    assert claims_of(first.json()["access_token"])["amr"] == ["pwd", "mfa"]
    reused = await second_step(client, await password_step(client), codes[0])
    assert reused.status_code == 401
    fresh = await client.post(
        "/auth/mfa/recovery-codes", headers=bearer(first.json()["access_token"])
    )
    assert fresh.status_code == 200, fresh.text
    new_codes = fresh.json()["recovery_codes"]
    assert set(new_codes).isdisjoint(codes)
    assert (await second_step(client, await password_step(client), codes[1])).status_code == 401
    ok = await second_step(client, await password_step(client), new_codes[1].replace("-", " "))
    assert ok.status_code == 200


async def test_changing_factors_needs_a_recent_sign_in(
    client: httpx.AsyncClient, clock: Any
) -> None:
    secret, _, _ = await set_up(client, clock)
    signed_in = await second_step(client, await password_step(client), code(secret, clock))
    tokens = signed_in.json()
    clock.advance(601)
    refreshed = (
        await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    for method, path in (("DELETE", "/auth/mfa/totp"), ("POST", "/auth/mfa/recovery-codes")):
        answer = await client.request(method, path, headers=bearer(refreshed["access_token"]))
        assert (answer.status_code, answer.json()["code"]) == (403, "reauth_required")
    again = await second_step(client, await password_step(client), code(secret, clock))
    off = await client.delete("/auth/mfa/totp", headers=bearer(again.json()["access_token"]))
    assert off.status_code == 204
    assert (await login(client, EMAIL))["access_token"]


async def test_setting_up_twice_is_mfa_exists_and_confirming_nothing_is_mfa_invalid(
    client: httpx.AsyncClient, clock: Any
) -> None:
    await register(client, EMAIL)
    access = (await login(client, EMAIL))["access_token"]
    nothing = await client.post(
        "/auth/mfa/totp/confirm", json={"code": "123456"}, headers=bearer(access)
    )
    assert (nothing.status_code, nothing.json()["code"]) == (401, "mfa_invalid")
    first = (await client.post("/auth/mfa/totp", headers=bearer(access))).json()
    second = (await client.post("/auth/mfa/totp", headers=bearer(access))).json()
    assert first["secret"] != second["secret"]  # a pending secret is replaced
    stale = await client.post(
        "/auth/mfa/totp/confirm",
        json={"code": code(first["secret"], clock)},
        headers=bearer(access),
    )
    assert stale.status_code == 401
    ok = await client.post(
        "/auth/mfa/totp/confirm",
        json={"code": code(second["secret"], clock)},
        headers=bearer(access),
    )
    assert ok.status_code == 200
    exists = await client.post("/auth/mfa/totp", headers=bearer(access))
    assert (exists.status_code, exists.json()["code"]) == (409, "mfa_exists")
    regenerate_without = await client.post("/auth/mfa/recovery-codes", headers=bearer(access))
    assert regenerate_without.status_code == 200


async def test_a_password_change_during_the_second_step_ends_it(
    client: httpx.AsyncClient, clock: Any
) -> None:
    secret, _, tokens = await set_up(client, clock)
    token = await password_step(client)
    changed = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "another long password"},
        headers=bearer(tokens["access_token"]),
    )
    assert changed.status_code == 204
    answer = await second_step(client, token, code(secret, clock))
    assert (answer.status_code, answer.json()["code"]) == (401, "invalid_credentials")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"mfa_token": "x"},
        {"mfa_token": "x", "code": ""},
        {"mfa_token": 1, "code": "1"},
        {"mfa_token": "x" * 300, "code": "123456"},
        [],
    ],
)
async def test_bad_second_steps_are_422(client: httpx.AsyncClient, body: Any) -> None:
    answer = await client.post("/auth/login/mfa", json=body)
    assert (answer.status_code, answer.json()["code"]) == (422, "validation_error")


@pytest.mark.parametrize(
    "value",
    ["123456", "abcde-fghij", "x" * 64, "\u00e9" * 6, "\uff11\uff12\uff13\uff14\uff15\uff16"],
)
async def test_unknown_mfa_tokens_are_mfa_invalid(client: httpx.AsyncClient, value: str) -> None:
    answer = await second_step(client, "A" * 43, value)
    assert (answer.status_code, answer.json()["code"]) == (401, "mfa_invalid")


async def test_the_secret_is_not_stored_in_clear(
    client: httpx.AsyncClient, clock: Any, gate_app: Any
) -> None:
    from sqlalchemy import text

    secret, codes, _ = await set_up(client, clock)
    _, gate = gate_app
    async with gate.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT secret_box FROM totp_factors"))).all()
        stored_codes = (await conn.execute(text("SELECT code_hash FROM recovery_codes"))).all()
    assert rows and secret.encode() not in bytes(rows[0][0])
    assert len(stored_codes) == 10
    assert not {c.replace("-", "") for c in codes} & {row[0] for row in stored_codes}


async def test_reset_mfa_lets_a_user_who_lost_the_phone_sign_in(
    client: httpx.AsyncClient, clock: Any, gate_app: Any
) -> None:
    import asyncio
    import os
    import subprocess

    from tests.conftest import SECRET
    from tests.integration.services import AUTHGATE

    _, gate = gate_app
    await set_up(client, clock)
    await password_step(client)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env.update(AUTHGATE_DATABASE_URL=gate.settings.database_url, AUTHGATE_SECRET=SECRET)

    def reset(email: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AUTHGATE, "user", "reset-mfa", email],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = await asyncio.to_thread(reset, EMAIL)
    assert done.returncode == 0, done.stderr
    assert "removed the second factors of alice@example.com" in done.stdout
    assert (await login(client, EMAIL))["access_token"]
    unknown = await asyncio.to_thread(reset, "nobody@example.com")
    assert unknown.returncode == 1 and "[not_found]" in unknown.stderr


async def test_an_app_sealed_under_another_secret_still_guards_the_sign_in(
    client: httpx.AsyncClient, clock: Any, app_factory: Any, database_url: str
) -> None:
    """AUTHGATE_SECRET changed: the app cannot be opened, so no code matches, but the
    account still needs its second factor (never a 500, never a password-only
    sign-in), and a recovery code still works."""
    secret, codes, _ = await set_up(client, clock)
    app, _ = await app_factory(database_url=database_url, secret="another-secret-" + "x" * 32)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as other:
        token = await password_step(other)
        wrong = await second_step(other, token, code(secret, clock))
        assert (wrong.status_code, wrong.json()["code"]) == (401, "mfa_invalid")
        ok = await second_step(other, token, codes[0])
        assert ok.status_code == 200, ok.text


async def test_sessions_from_before_sign_in_times_count_from_their_creation(
    client: httpx.AsyncClient, clock: Any, gate_app: Any
) -> None:
    from sqlalchemy import text

    _, gate = gate_app
    await register(client, EMAIL)
    tokens = await login(client, EMAIL)
    async with gate.db.engine.begin() as conn:  # as migration 0003 leaves old sessions
        await conn.execute(text("UPDATE sessions SET auth_time = 0, amr = 'pwd'"))
    created = int(clock())
    clock.advance(601)
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    access = refreshed.json()["access_token"]
    assert claims_of(access)["auth_time"] == created
    late = await client.post("/auth/mfa/totp", headers=bearer(access))
    assert (late.status_code, late.json()["code"]) == (403, "reauth_required")
