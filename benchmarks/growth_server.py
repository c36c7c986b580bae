"""What growth.py and percore.py share: a real ``authgate serve`` on a seeded database,
its start-up time and RSS, a schema change timed through Alembic, the machine's load."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cpu_quota
import httpx

from authgate.core.passwords import IDLE_TRIM_SECONDS

AUTHGATE = str(Path(sys.executable).parent / "authgate")
SECRET = "benchmark-secret-0123456789-abcdefghijklmnop"
#: No rate limit gets in the way of a benchmark that logs in hundreds of times.
UNLIMITED = {
    "AUTHGATE_LIMIT_LOGIN_ACCOUNT": "off",
    "AUTHGATE_LIMIT_LOGIN_ADDRESS": "off",
    "AUTHGATE_LIMIT_REGISTER_ADDRESS": "off",
    "AUTHGATE_LIMIT_MAIL_ADDRESS": "off",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def rss_mb(pid: int) -> float:
    """Resident memory of one process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every process in a process group (the server and its
    workers), seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, …
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    startup_s: float
    ready_at: float = field(default_factory=time.monotonic)

    def rss_mb(self) -> float:
        """The server's RSS once settled: the hashing pool hands the dummy hash's
        19 MiB back IDLE_TRIM_SECONDS after start-up, so a reading taken sooner is 19
        MB higher or not, by chance."""
        time.sleep(max(0.0, self.ready_at + IDLE_TRIM_SECONDS + 1.0 - time.monotonic()))
        return rss_mb(self.process.pid)


@contextmanager
def serve(
    database_url: str,
    *,
    cpus: str | None = "0",
    workers: int = 1,
    extra: dict[str, str] | None = None,
    group: Path | None = None,
) -> Iterator[Server]:
    """``authgate serve`` on ``database_url`` (pinned to ``cpus`` by ``taskset``, and in
    the CPU-limited cgroup whose ``cgroup.procs`` is ``group``, if given);
    ``startup_s`` is from process start to the first ``/healthz`` 200."""
    port = free_port()
    command = [AUTHGATE, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    if group is not None:
        command = cpu_quota.joining(group, command)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env = {
        **clean,
        **UNLIMITED,
        "AUTHGATE_SECRET": SECRET,
        "AUTHGATE_DATABASE_URL": database_url,
        **(extra or {}),
    }
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as home:
        # The server's log goes to a file: a pipe nobody reads fills up after ~64 KB
        # (a few hundred logins' event lines) and then blocks every worker mid-write.
        log = Path(home) / "server.log"
        started = time.perf_counter()
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=home,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        try:
            startup = _wait_healthy(process, url, started, log)
            yield Server(process, url, startup)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:  # stuck in a graceful shutdown
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _wait_healthy(process: subprocess.Popen[bytes], url: str, started: float, log: Path) -> float:
    deadline = started + 180
    with httpx.Client(timeout=2) as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                error = log.read_text(errors="replace")
                raise SystemExit(f"authgate serve exited: {error[-2000:]}")
            try:
                if client.get(f"{url}/healthz").status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
    raise SystemExit("authgate serve did not answer /healthz within 180 s")


def time_schema_change(database_url: str) -> tuple[float, float]:
    """Seconds to add a nullable column to ``sessions`` through Alembic's operations,
    and to drop it again: the next migration's cost on this many rows."""
    return asyncio.run(_schema_change(database_url))


async def _schema_change(database_url: str) -> tuple[float, float]:
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import Column, String
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import create_async_engine

    def add(connection: Connection) -> None:
        operations = Operations(MigrationContext.configure(connection))
        operations.add_column("sessions", Column("growth_probe", String(32), nullable=True))

    def drop(connection: Connection) -> None:
        Operations(MigrationContext.configure(connection)).drop_column("sessions", "growth_probe")

    engine = create_async_engine(database_url)
    try:
        timings = []
        for change in (add, drop):
            started = time.perf_counter()
            async with engine.begin() as conn:
                await conn.run_sync(change)
            timings.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return timings[0], timings[1]
