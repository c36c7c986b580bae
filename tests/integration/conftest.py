"""Real server processes: ``authgate serve`` started through the CLI on a free port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SECRET

AUTHGATE = shutil.which("authgate", path=str(Path(sys.executable).parent)) or "authgate"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One ``authgate serve`` process, its URL and its log."""

    def __init__(self, env: dict[str, str], cwd: Path, args: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
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
