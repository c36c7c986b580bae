"""Protected-route throughput of ``authgate serve``: without Redis, with Redis, with
``--workers 2`` (Debian's ``wrk`` drives ``GET /plans`` with a valid token).

    .venv/bin/python benchmarks/scale_wrk.py [--seconds 5] [--redis-url URL]
                                             [--database-url URL] [--rounds 2]

Each configuration gets a fresh server (SQLite in a temporary directory unless
``--database-url`` is given), a user owning 5 plans, a 1 s warm-up, then ``wrk -t1
-c32``. Single-worker servers run on CPU 0 and wrk on CPU 1 (``taskset``); the
2-worker server is not pinned (on a 2-core machine it then shares a core with wrk).
Numbers are indicative: the machine may be shared. Configurations take turns, and
the median of the rounds is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

AUTHGATE = str(Path(sys.executable).parent / "authgate")
SECRET = "benchmark-secret-0123456789-abcdefghijklmnop"
LUA = """wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(url: str, method: str = "GET", body: object = None, token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.request(method, url, json=body, headers=headers, timeout=10)
    response.raise_for_status()
    return response.json() if response.content else None


def start(
    env: dict[str, str], workers: int, pin: bool, home: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [AUTHGATE, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    if pin:
        command = ["taskset", "-c", "0", *command]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    process = subprocess.Popen(
        command,
        env={**clean, **env},
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            call(f"{url}/healthz")
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit(f"server did not start: {command}")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(20)


def wrk(url: str, token: str, seconds: float, directory: Path) -> float:
    script = directory / "auth.lua"
    script.write_text(LUA.format(token=token))
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c32", "--latency", "-s", str(script)]
    subprocess.run([*command, "-d1s", f"{url}/plans"], capture_output=True, check=True)
    result = subprocess.run(
        [*command, f"-d{seconds:.0f}s", f"{url}/plans"], capture_output=True, text=True, check=True
    )
    if "Non-2xx" in result.stdout:
        raise SystemExit(f"non-2xx answers:\n{result.stdout}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    assert match, result.stdout
    return float(match.group(1))


def measure(env: dict[str, str], workers: int, pin: bool, seconds: float) -> float:
    with tempfile.TemporaryDirectory() as home_dir:
        home = Path(home_dir)
        env = {
            "AUTHGATE_SECRET": SECRET,
            "AUTHGATE_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'authgate.db'}",
            **env,
        }
        process, url = start(env, workers, pin, home)
        try:
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            credentials = {"email": email, "password": "benchmark password"}
            call(f"{url}/auth/register", "POST", credentials)
            token = call(f"{url}/auth/login", "POST", credentials)["access_token"]
            for n in range(5):
                call(f"{url}/plans", "POST", {"title": f"plan {n}"}, token)
            return wrk(url, token, seconds, home)
        finally:
            stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    base = {"AUTHGATE_DATABASE_URL": args.database_url} if args.database_url else {}
    redis = {
        **base,
        "AUTHGATE_REDIS_URL": args.redis_url,
        "AUTHGATE_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
    }
    configurations = [
        ("1 worker, no Redis", base, 1, True),
        ("1 worker, Redis", redis, 1, True),
        ("2 workers, Redis", redis, 2, False),
    ]
    results: dict[str, list[float]] = {name: [] for name, *_ in configurations}
    for _ in range(args.rounds):
        for name, env, workers, pin in configurations:
            results[name].append(measure(env, workers, pin, args.seconds))
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"GET /plans, valid token, wrk -t1 -c32, {args.seconds:.0f} s, {database}:")
    for name, values in results.items():
        runs = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {name:<20} {statistics.median(values):8.0f} req/s   (runs: {runs})")


if __name__ == "__main__":
    main()
