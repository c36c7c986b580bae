"""What a server process carries: `authgate serve` becomes a fresh interpreter, and the
libraries used only by some deployments load on first use, not at start-up."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SharedRedis
from tests.integration.conftest import AUTHGATE, Server, server_env

pytestmark = pytest.mark.slow

#: Loaded on first use (or never, by a server): a mail, a passkey, Redis, PostgreSQL,
#: the CLI, migrations, uvicorn's --reload and WebSockets.
ON_FIRST_USE = (
    "jinja2",
    "aiosmtplib",
    "webauthn",
    "redis",
    "asyncpg",
    "sqlalchemy.dialects.postgresql",
    "typer",
    "alembic",
    "watchfiles",
    "websockets",
)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_serve_replaces_itself_with_a_fresh_server(
    start_server: Callable[..., Server],
) -> None:
    """Same PID (what a supervisor started is the server), now running only
    `python -m authgate.serving`, its malloc asking for huge pages; SIGTERM still
    stops it cleanly."""
    server = start_server(GLIBC_TUNABLES="glibc.malloc.arena_max=4")
    assert server.process is not None
    pid = server.process.pid
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert argv[1:4] == [b"-m", b"authgate.serving", b"127.0.0.1"], argv
    environment = Path(f"/proc/{pid}/environ").read_bytes()
    # glibc splits the tunables it read in place: ":" may have become NUL.
    tunables = rb"(?:^|\0)GLIBC_TUNABLES=glibc\.malloc\.arena_max=4[:\0]glibc\.malloc\.hugetlb=1\0"
    assert re.search(tunables, environment), environment
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "authgate"  # for ps, pgrep
    with server.client() as client:
        assert client.get("/healthz").status_code == 200
    server.process.send_signal(signal.SIGTERM)
    # uvicorn shuts down, then ends with the signal it was sent, as a process should
    assert server.process.wait(timeout=15) == -signal.SIGTERM
    assert "Application shutdown complete" in server.log()


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_worker_processes_have_the_server_name(
    start_server: Callable[..., Server], shared_redis: SharedRedis
) -> None:
    """With --workers 2, uvicorn's worker processes (fresh interpreters) are named
    "authgate" too, as ``ps``, ``top`` and ``pgrep`` show them."""
    server = start_server(["--workers", "2"], **shared_redis.env())
    assert server.process is not None
    with server.client() as client:
        assert client.get("/healthz").status_code == 200
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    workers = [int(pid) for pid in children.read_text().split()]
    names = {pid: Path(f"/proc/{pid}/comm").read_text().strip() for pid in workers}
    serving = [pid for pid in workers if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(serving) == 2, names
    assert {names[pid] for pid in serving} == {"authgate"}, names


def test_a_started_server_has_not_loaded_what_it_loads_on_first_use(tmp_path: Path) -> None:
    """Start-up on SQLite (the app and its lifespan, as `authgate.serving` runs them)
    leaves every library of ON_FIRST_USE unloaded."""
    env = server_env(tmp_path)
    upgrade = subprocess.run(
        [AUTHGATE, "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    code = (
        "import asyncio, sys\n"
        "import authgate.serving, uvicorn\n"
        "from authgate.web.app import create_app\n"
        "app = create_app()\n"
        "async def main():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        pass\n"
        "asyncio.run(main())\n"
        f"print(sorted(m for m in {ON_FIRST_USE!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout
