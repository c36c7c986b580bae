"""Real server processes: ``authgate serve`` started through the CLI on a free port.

``start_server`` (per test) starts servers; ``launcher`` (per module) starts
servers and the other processes that talk to them (the examples in Node and Go),
waits until each answers, and stops them all at the end of the module. ``db`` is a
migrated database on each backend for the SQL stores' own tests; ``add_user`` puts a
user in it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from authgate.core.models import User
from authgate.storage.sql import Database, SqlUsers
from tests.conftest import SECRET, service_missing
from tests.integration.services import RedisServer

AUTHGATE = shutil.which("authgate", path=str(Path(sys.executable).parent)) or "authgate"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.upgrade()
    yield database
    await database.dispose()


async def add_user(db: Database, created_at: datetime) -> str:
    """A user with a placeholder password hash; returns its id."""
    user_id = str(uuid.uuid4())
    email = f"{user_id}@example.com"
    user = User(id=user_id, email=email, password_hash="x", created_at=created_at)
    await SqlUsers(db).add(user, user.email)
    return user_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One ``authgate serve`` process, its URL and its log."""

    def __init__(
        self,
        env: dict[str, str],
        cwd: Path,
        args: list[str] | None = None,
        *,
        url_host: str = "127.0.0.1",
    ) -> None:
        self.port = free_port()
        self.url = f"http://{url_host}:{self.port}"
        self.log_path = cwd / f"server-{self.port}.log"
        self.env = env
        self.cwd = cwd
        self.args = args or []
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [AUTHGATE, "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"authgate exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"authgate did not come up:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def restart(self) -> Server:
        self.stop()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def server_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a server: a fresh SQLite file, fixed secret, no limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env.update(
        AUTHGATE_SECRET=SECRET,
        AUTHGATE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}",
        AUTHGATE_COOKIE_SECURE="false",
    )
    env.update(overrides)
    return env


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start ``authgate serve`` processes (env overrides as keywords); all stop after."""
    servers: list[Server] = []

    def start(args: list[str] | None = None, **env: Any) -> Server:
        server = Server(server_env(tmp_path, **{k: str(v) for k, v in env.items()}), tmp_path, args)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


# -- per module: authgate and the services that talk to it ------------------------------

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
START_TIMEOUT = 60.0


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any AUTHGATE_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env.update(extra)
    return env


@dataclass
class Started:
    """A running process (not authgate) and where it answers."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class AuthgateServer:
    """An ``authgate serve`` process with its own database and key directory."""

    server: Server
    keys_dir: Path
    database: Path

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def env(self) -> dict[str, str]:
        return self.server.env

    def output(self) -> str:
        return self.server.log()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``authgate ARGS`` with this server's environment."""
        return subprocess.run(
            [AUTHGATE, *args],
            env=self.server.env,
            cwd=self.server.cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )


class Launcher:
    """Starts authgate servers and other processes; stops them all at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.servers: list[Server] = []
        self.started: list[Started] = []

    def authgate(self, **settings: str) -> AuthgateServer:
        """``authgate serve`` with AUTHGATE_* ``settings`` (names without the prefix)."""
        state = self.workdir / f"authgate-{len(self.servers)}"
        state.mkdir()
        values = {
            "KEYS_DIR": str(state / "keys"),
            "LIMIT_LOGIN_ACCOUNT": "off",
            "LIMIT_LOGIN_ADDRESS": "off",
            "LIMIT_REGISTER_ADDRESS": "off",
        }
        values.update({k.upper(): v for k, v in settings.items()})
        env = server_env(state, **{f"AUTHGATE_{k}": v for k, v in values.items()})
        server = Server(env, state)
        self.servers.append(server)
        server.start(timeout=START_TIMEOUT)
        return AuthgateServer(server, state / "keys", state / "authgate.db")

    def start(
        self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, ready_path: str
    ) -> Started:
        """Start ``argv`` (listening on ``env["PORT"]``) and wait until ``ready_path`` is 200."""
        log = self.workdir / f"{name}-{len(self.started)}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT
            )
        started = Started(f"http://127.0.0.1:{env['PORT']}", process, log)
        self.started.append(started)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"{argv} exited:\n{started.output()}", pytrace=False)
            try:
                if httpx.get(started.url + ready_path, timeout=2).status_code == 200:
                    return started
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # a real process starting: no clock of ours to move
        pytest.fail(f"{argv} did not answer {ready_path}:\n{started.output()}", pytrace=False)

    def stop_all(self) -> None:
        for started in self.started:
            if started.process.poll() is None:
                started.process.send_signal(signal.SIGTERM)
        for started in self.started:
            try:
                started.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                started.process.kill()
                started.process.wait()
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    """Start real processes for this module's tests; all are stopped at its end."""
    launched = Launcher(tmp_path_factory.mktemp("processes"))
    try:
        yield launched
    finally:
        launched.stop_all()


# -- the other languages' toolchains ------------------------------------------------

GOPATH_DEBIAN = Path("/usr/share/gocode")
GO_JWT = GOPATH_DEBIAN / "src/github.com/golang-jwt/jwt"
GO_BCRYPT = GOPATH_DEBIAN / "src/golang.org/x/crypto/bcrypt"
NODE_EXAMPLE = EXAMPLES / "node-express"


def go_environment(gopath: Path) -> dict[str, str]:
    """GOPATH mode over Debian's Go packages (the module proxy is not reachable)."""
    return clean_environment(
        GO111MODULE="off", GOPATH=f"{gopath}:{GOPATH_DEBIAN}", GOFLAGS="", CGO_ENABLED="0"
    )


@pytest.fixture(scope="session")
def go_toolchain() -> str:
    """The ``go`` command, with Debian's golang-jwt and x/crypto sources."""
    go = shutil.which("go")
    missing = [str(p) for p in (GO_JWT, GO_BCRYPT) if not p.is_dir()]
    if go is None or missing:
        service_missing("Go with golang-jwt and x/crypto (scripts/test-deps.sh)", go or missing)
    return str(go)


@pytest.fixture(scope="session")
def node_example() -> Path:
    """The Node example with its npm packages installed (``npm ci``)."""
    node = shutil.which("node")
    if node is None or not (NODE_EXAMPLE / "node_modules" / "jose").is_dir():
        service_missing(
            "Node.js and the example's npm packages (scripts/test-deps.sh runs npm ci)",
            node or "node_modules missing",
        )
    return NODE_EXAMPLE


@pytest.fixture(scope="session")
def go_example(go_toolchain: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go example, built as its README says (GOPATH mode)."""
    gopath = tmp_path_factory.mktemp("gopath")
    link = gopath / "src" / "authgate-example"
    link.parent.mkdir(parents=True)
    link.symlink_to(EXAMPLES / "go")
    binary = gopath / "authgate-example"
    result = subprocess.run(
        [go_toolchain, "build", "-o", str(binary), "."],
        cwd=link,
        env={**go_environment(gopath), "PWD": str(link)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"go build failed:\n{result.stdout}{result.stderr}", pytrace=False)
    return binary


# -- a Redis server of the test's own (the failure tests stop and start it) -----------


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of this test's own, on a free port, that it may stop and start."""
    if not RedisServer.available():
        service_missing("redis-server", "not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.thaw()
    server.stop()


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[[Any], httpx.AsyncClient]]:
    """``make_client(app)``: an ASGI client for an app, closed after the test."""
    clients: list[httpx.AsyncClient] = []

    def make(app: Any) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        client = httpx.AsyncClient(transport=transport, base_url="https://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


# The browser tests' fixtures (Chromium, fresh contexts, a server for the UI), for every
# module here. Imported last: browser.py takes Server and server_env from this module.
from tests.integration.browser import browser, new_context, ui_server  # noqa: E402, F401
