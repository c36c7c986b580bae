"""A running server picks up a rotation made by ``authgate keys rotate`` in another process."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from tests.integration.conftest import AuthgateServer, Launcher

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
NOTICE_DEADLINE = 30.0  # seconds; the server looks at its key directory every 2 s


def login(client: httpx.Client, email: str) -> str:
    answer = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def jwks_kids(client: httpx.Client) -> list[str]:
    return [key["kid"] for key in client.get("/.well-known/jwks.json").json()["keys"]]


def test_rotation_by_the_cli_reaches_the_running_server(launcher: Launcher) -> None:
    """After ``keys rotate``: the JWKS shows both keys, new tokens carry the new kid, and a
    token of the old key is still accepted."""
    server: AuthgateServer = launcher.authgate(algorithm="EdDSA")
    assert "generated an EdDSA signing key" in server.output()
    with httpx.Client(base_url=server.url) as client:
        client.post("/auth/register", json={"email": "ann@example.com", "password": PASSWORD})
        old_token = login(client, "ann@example.com")
        (old_kid,) = jwks_kids(client)

        rotated = server.cli("keys", "rotate")
        assert rotated.returncode == 0, rotated.stderr
        new_kid = rotated.stdout.split()[3]

        deadline = time.monotonic() + NOTICE_DEADLINE
        while jwks_kids(client) != [new_kid, old_kid]:
            assert time.monotonic() < deadline, f"JWKS still {jwks_kids(client)}"
            time.sleep(0.2)  # another process's change: no clock of ours to move

        new_token = login(client, "ann@example.com")
        assert jwt.get_unverified_header(new_token)["kid"] == new_kid
        for token in (old_token, new_token):
            me = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text

        listed = server.cli("keys", "list")
        assert f"{old_kid}  EdDSA" in listed.stdout and "retired" in listed.stdout
        assert f"{new_kid}  EdDSA" in listed.stdout and "signing" in listed.stdout

        decoded = server.cli("token", "decode", old_token)
        assert decoded.returncode == 0, decoded.stdout + decoded.stderr
        assert "verifies here: yes" in decoded.stdout
