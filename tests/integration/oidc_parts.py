"""What the OpenID Connect integration tests share: an authgate whose issuer is its
own address, a registered client, and the example relying parties as processes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.integration.conftest import (
    EXAMPLES,
    START_TIMEOUT,
    AuthgateServer,
    Launcher,
    Server,
    Started,
    clean_environment,
    free_port,
    server_env,
)

PASSWORD = "correct horse battery"
PYTHON_EXAMPLE = EXAMPLES / "oidc-python"
NODE_EXAMPLE = EXAMPLES / "oidc-node"


@dataclass(frozen=True)
class Registered:
    client_id: str
    secret: str | None


def provider(
    launcher: Launcher, configure: Callable[[str], dict[str, str]] | None = None, **settings: str
) -> AuthgateServer:
    """``authgate serve`` whose AUTHGATE_PUBLIC_URL (the issuer) is its own address;
    ``configure`` (given that address) adds environment variables before it starts."""
    state = launcher.workdir / f"authgate-{len(launcher.servers)}"
    state.mkdir()
    values = {
        "KEYS_DIR": str(state / "keys"),
        "LIMIT_LOGIN_ACCOUNT": "off",
        "LIMIT_LOGIN_ADDRESS": "off",
        "LIMIT_REGISTER_ADDRESS": "off",
    }
    values.update({k.upper(): v for k, v in settings.items()})
    server = Server(server_env(state, **{f"AUTHGATE_{k}": v for k, v in values.items()}), state)
    server.env["AUTHGATE_PUBLIC_URL"] = server.url
    server.env.update(configure(server.url) if configure is not None else {})
    launcher.servers.append(server)
    server.start(timeout=START_TIMEOUT)
    return AuthgateServer(server, state / "keys", state / "authgate.db")


def register_client(
    server: AuthgateServer, redirect_uri: str, *, first_party: bool = True, public: bool = False
) -> Registered:
    """``authgate client create`` against the server's database; its id and secret."""
    args = ["client", "create", "Example app", "--redirect-uri", redirect_uri]
    args += ["--first-party"] if first_party else []
    result = server.cli(*args, *(["--public"] if public else []))
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    return Registered(lines["client_id"], lines.get("client_secret"))


def register_user(server: AuthgateServer, email: str) -> None:
    with server.server.client() as http:
        response = http.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text


def python_rp(launcher: Launcher, server: AuthgateServer, port: int, client: Registered) -> Started:
    env = clean_environment(
        AUTHGATE_ISSUER=server.url,
        CLIENT_ID=client.client_id,
        CLIENT_SECRET=client.secret or "",
        PORT=str(port),
    )
    argv = [sys.executable, str(PYTHON_EXAMPLE / "app.py")]
    return launcher.start("oidc-python", argv, env=env, cwd=PYTHON_EXAMPLE, ready_path="/healthz")


def node_rp(
    launcher: Launcher, server: AuthgateServer, port: int, client: Registered, node: Path
) -> Started:
    env = clean_environment(
        AUTHGATE_ISSUER=server.url,
        CLIENT_ID=client.client_id,
        CLIENT_SECRET=client.secret or "",
        PORT=str(port),
    )
    argv = ["node", str(node / "server.js")]
    return launcher.start("oidc-node", argv, env=env, cwd=node, ready_path="/healthz")


def rp_port() -> int:
    return free_port()


def sign_in_through(rp: Started, server: AuthgateServer, email: str) -> httpx.Response:
    """As a browser: sign in to authgate's pages (the cookie), then the app's sign-in,
    following every redirect; the app's page at the end."""
    with httpx.Client(timeout=30, follow_redirects=True) as browser:
        login = browser.post(
            f"{server.url}/auth/login",
            params={"transport": "cookie"},
            json={"email": email, "password": PASSWORD},
            headers={"Origin": server.url},
        )
        assert login.status_code == 200, login.text
        return browser.get(f"{rp.url}/login")
