"""The events of the mail flows and of the remaining account actions (API.md §3.3),
with real mails: none of them holds a link token, a password or a code."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pyotp
from sqlalchemy import select

from authgate.storage.sql.tables import events
from tests.helpers import PASSWORD, bearer, login, register
from tests.mailserver import MailServer
from tests.recovery.test_flows import (
    NEW_PASSWORD,
    change_email,
    client,  # noqa: F401 (fixture)
    forgot,
    mail_app,  # noqa: F401 (fixture)
    mails_to,
    reset,
    token_in,
)

EMAIL = "alice@example.com"


async def kept(gate: Any, user_id: str) -> list[Any]:
    async with gate.db.connect() as conn:
        query = select(events).where(events.c.user_id == user_id).order_by(events.c.id)
        return list((await conn.execute(query)).all())


async def test_every_account_action_keeps_its_event_and_no_secret(
    client: httpx.AsyncClient,  # noqa: F811
    mail_app: tuple[Any, Any],  # noqa: F811
    mail_server: MailServer,
) -> None:
    _, gate = mail_app
    user = await register(client, EMAIL)
    [welcome] = await mails_to(mail_server, EMAIL)
    verify_token = token_in(welcome, "verify-email")
    assert (
        await client.post("/auth/email/verify", json={"token": verify_token})
    ).status_code == 204
    first = await login(client, EMAIL)
    second = await login(client, EMAIL)
    ended = await client.delete(
        f"/auth/sessions/{json.loads((await kept(gate, user['id']))[-1].detail)['session_id']}",
        headers=bearer(first["access_token"]),
    )
    assert ended.status_code == 204
    assert (await forgot(client, EMAIL)).status_code == 202
    reset_token = token_in((await mails_to(mail_server, EMAIL, count=2))[1], "reset-password")
    assert (await reset(client, reset_token)).status_code == 204
    tokens = await login(client, EMAIL, NEW_PASSWORD)
    assert (
        await change_email(client, tokens["access_token"], "alice@new.example", NEW_PASSWORD)
    ).status_code == 202
    change_token = token_in((await mails_to(mail_server, "alice@new.example"))[0], "verify-email")
    assert (
        await client.post("/auth/email/verify", json={"token": change_token})
    ).status_code == 204
    started = await client.post("/auth/mfa/totp", headers=bearer(tokens["access_token"]))
    secret = started.json()["secret"]
    confirmed = await client.post(
        "/auth/mfa/totp/confirm",
        json={"code": pyotp.TOTP(secret).at(gate.runtime.clock())},
        headers=bearer(tokens["access_token"]),
    )
    codes = confirmed.json()["recovery_codes"]
    renewed = await client.post("/auth/mfa/recovery-codes", headers=bearer(tokens["access_token"]))
    assert renewed.status_code == 200
    assert (
        await client.delete("/auth/mfa/totp", headers=bearer(tokens["access_token"]))
    ).status_code == 204
    assert (
        await client.post("/auth/logout-all", headers=bearer(tokens["access_token"]))
    ).status_code == 204
    last = await login(client, "alice@new.example", NEW_PASSWORD)
    gone = await client.request(
        "DELETE", "/auth/me", json={"password": NEW_PASSWORD}, headers=bearer(last["access_token"])
    )
    assert gone.status_code == 204

    rows = await kept(gate, user["id"])
    assert [row.type for row in rows] == [
        "registered",
        "email_verified",
        "login",
        "login",
        "session_revoked",
        "password_reset",
        "login",
        "email_changed",
        "mfa_enabled",
        "recovery_codes_renewed",
        "mfa_disabled",
        "logout_all",
        "login",
        "account_deleted",
    ]
    text = json.dumps([[str(value) for value in row] for row in rows])
    for value in (
        PASSWORD,
        NEW_PASSWORD,
        verify_token,
        reset_token,
        change_token,
        secret,
        *codes,
        *renewed.json()["recovery_codes"],
        first["refresh_token"],
        second["access_token"],
        last["access_token"],
    ):
        assert value not in text
