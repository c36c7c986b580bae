"""Mail delivery never on the request path, and never lost: the mail server down when
the request comes, the authgate process killed right after answering, and two
instances sharing one PostgreSQL queue (each mail sent once)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from authgate.mail.sender import FIRST_RETRY_SECONDS
from tests.helpers import PASSWORD, register
from tests.integration.conftest import Server, server_env
from tests.mailserver import MailServer
from tests.recovery.test_flows import forgot, mails_to, token_in

pytestmark = pytest.mark.slow


async def test_a_mail_server_that_is_down_delays_the_mail_not_the_answer(
    app_factory: Any, mail_server: MailServer, clock: Any
) -> None:
    app, _ = await app_factory(smtp_url=mail_server.url)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        await register(http, "alice@example.com")
        await mails_to(mail_server, "alice@example.com")
        mail_server.stop()
        started = time.monotonic()
        answer = await forgot(http, "alice@example.com")
        assert (answer.status_code, answer.json()) == (202, {})
        assert time.monotonic() - started < 1.0
        await asyncio.sleep(1.0)  # the sender tries, fails, and postpones the mail
        mail_server.start()
        clock.advance(FIRST_RETRY_SECONDS)
        mails = await mails_to(mail_server, "alice@example.com", count=2)
        token_in(mails[-1], "reset-password", site=None)


def test_a_mail_survives_the_process_killed_after_answering(
    tmp_path: Path, mail_server: MailServer
) -> None:
    """SIGKILL right after the 202 (the mail server down, so nothing went out yet):
    the restarted process sends the mail."""
    env = server_env(tmp_path, AUTHGATE_SMTP_URL=mail_server.url)
    server = Server(env, tmp_path).start()
    try:
        with server.client() as http:
            created = http.post(
                "/auth/register", json={"email": "alice@example.com", "password": PASSWORD}
            )
            assert created.status_code == 201
            mail_server.wait_for("alice@example.com")
            mail_server.stop()
            assert (
                http.post("/auth/password/forgot", json={"email": "alice@example.com"}).status_code
                == 202
            )
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
        server.process = None
        mail_server.start()
        server.start()
        [_, reset] = mail_server.wait_for("alice@example.com", count=2, timeout=90.0)
        token_in(reset, "reset-password", site=None)
    finally:
        server.stop()


@pytest.mark.postgres
async def test_two_instances_send_each_mail_once(
    make_settings: Any, postgres_url: str, mail_server: MailServer, clock: Any
) -> None:
    from authgate.core.passwords import FAST_FOR_TESTS
    from authgate.web.app import create_app
    from authgate.web.gate import AuthGate

    gates = [
        AuthGate(
            make_settings(database_url=postgres_url, smtp_url=mail_server.url),
            password_params=FAST_FOR_TESTS,
            clock=clock,
        )
        for _ in range(2)
    ]
    apps = [create_app(gate=gate) for gate in gates]
    lifespans = [gate.lifespan(app) for gate, app in zip(gates, apps, strict=True)]
    for lifespan in lifespans:
        await lifespan.__aenter__()
    try:
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://t")
            for app in apps
        ]
        users = [f"user{n}@example.com" for n in range(12)]
        for n, email in enumerate(users):
            await register(clients[n % 2], email)
        await asyncio.gather(
            *(forgot(clients[(n + 1) % 2], email) for n, email in enumerate(users))
        )
        for email in users:
            await mails_to(mail_server, email, count=2)
        await asyncio.sleep(3.0)  # longer than a poll: a duplicate would have come
        received = Counter(str(message["To"]) for message in mail_server.messages())
        assert received == dict.fromkeys(users, 2)
        for client in clients:
            await client.aclose()
    finally:
        for lifespan in reversed(lifespans):
            await lifespan.__aexit__(None, None, None)
