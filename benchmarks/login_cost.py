"""Where a login's CPU goes, thread by thread, in a real server pinned to one core.

    .venv/bin/python benchmarks/login_cost.py [--seconds 10] [--conns 4] [--users 1]
        [--cheap-hash]

Times one Argon2id verification pinned to core 0 (the bound of goal 4 in
docs/performance.md: logins/s <= 1 / hash time), then starts ``authgate serve`` pinned
to core 0 on a fresh SQLite file, has wrk (core 1) log one user in over and over, and
reads each server thread's CPU time from /proc. Prints logins/s against the bound, and
milliseconds of CPU per login for the event loop thread, the hashing thread and the
rest (aiosqlite's connection threads and any other). Linux only; needs wrk.

``--users N`` logs N accounts in by turns instead of one: each login of one account
past its 100th ends that account's oldest session (a revocation and its event), which
real accounts seldom reach; N = 1 measures that path on every login.

``--cheap-hash`` runs the same app with Argon2id at m = 1 MiB, t = 1 (the tests'
parameters, 0.2 ms a hash) instead of OWASP's: what the rest of a login costs when no
hash sweeps the core's cache between requests (docs/performance.md, "where a login's
other CPU goes").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from authgate.libc import with_huge_pages

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PASSWORD = "correct-horse-battery-staple-9"
TICK = os.sysconf("SC_CLK_TCK")

HASH_TIMER = """
import statistics, sys, time
from pwdlib.hashers.argon2 import Argon2Hasher
from authgate.core import passwords
params = getattr(passwords, sys.argv[1])
h = Argon2Hasher(time_cost=params.time_cost, memory_cost=params.memory_cost,
                 parallelism=params.parallelism)
stored = h.hash("correct-horse-battery-staple-9")
times = []
for _ in range(40):
    start = time.perf_counter()
    h.verify("correct-horse-battery-staple-9", stored)
    times.append(time.perf_counter() - start)
print(statistics.median(times[5:]))
"""


#: The app with the tests' cheap hash, served as ``authgate serve`` serves it.
CHEAP_SERVER = """
import sys, uvicorn
from authgate.core.passwords import FAST_FOR_TESTS
from authgate.core.settings import load_settings
from authgate.web.app import create_app
from authgate.web.gate import AuthGate
app = create_app(gate=AuthGate(load_settings(), password_params=FAST_FOR_TESTS))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
            access_log=False, log_level="warning")
"""


def hash_seconds(params: str) -> float:
    """One verification's median with ``authgate.core.passwords``' ``params``, pinned as
    the server is, with malloc's huge pages as the server has them
    (authgate.libc.with_huge_pages)."""
    out = subprocess.run(
        ["taskset", "-c", "0", str(BIN / "python"), "-c", HASH_TIMER, params],
        env=with_huge_pages(os.environ),
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout)


def server_env(directory: str) -> dict[str, str]:
    """The environment of a benchmark's server: a fresh SQLite file in ``directory``,
    a random secret, and registrations unlimited (a run registers its accounts from
    one address)."""
    return {
        **os.environ,
        "AUTHGATE_DATABASE_URL": f"sqlite+aiosqlite:///{directory}/authgate.db",
        "AUTHGATE_SECRET": os.urandom(32).hex(),
        "AUTHGATE_LIMIT_REGISTER_ADDRESS": "off",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread ("event loop" for the main thread, else name and id)."""
    totals: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICK
        key = "event loop" if task.name == str(pid) else f"{name} {task.name}"
        totals[key] = totals.get(key, 0.0) + seconds
    return totals


def post(url: str, body: dict[str, str]) -> int:
    return httpx.post(url, json=body, timeout=10).status_code


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server exited while starting")
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    sys.exit("the server did not start in 30 s")


#: The end of a wrk script: one line with the requests, the non-2xx and p99 in µs.
WRK_DONE = """done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d\\n", summary.requests,
    summary.errors.status, latency:percentile(99)))
end
"""


def wrk_result(out: str) -> tuple[int, int, float]:
    """Requests, non-2xx answers and p99 in ms, from the output of a WRK_DONE script."""
    line = next(row for row in out.splitlines() if row.startswith("RESULT"))
    requests, non2xx, p99_us = (int(value) for value in line.split()[1:])
    return requests, non2xx, p99_us / 1000


def email(n: int) -> str:
    return "bench@example.com" if n == 0 else f"bench{n}@example.com"


def run_wrk(base: str, workdir: Path, seconds: int, conns: int, users: int) -> dict[str, float]:
    bodies = [json.dumps({"email": email(n), "password": PASSWORD}) for n in range(users)]
    script = workdir / "login.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"bodies = {{{', '.join(json.dumps(body) for body in bodies)}}}\n"
        "turn = 0\n"
        "request = function()\n"
        "  turn = turn % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[turn])\n"
        "end\n" + WRK_DONE
    )
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout=10s"]
    out = subprocess.run(
        [*command, "-s", str(script), f"{base}/auth/login"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    requests, non2xx, p99_ms = wrk_result(out)
    return {"requests": requests, "non2xx": non2xx, "p99_ms": p99_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--conns", type=int, default=4)
    parser.add_argument("--users", type=int, default=1, help="accounts logged in by turns")
    parser.add_argument("--cheap-hash", action="store_true", help="Argon2id m=1 MiB, t=1")
    args = parser.parse_args()
    if args.users < 1:
        parser.error("--users takes 1 or more")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed")
    one_hash = hash_seconds("FAST_FOR_TESTS" if args.cheap_hash else "OWASP")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = server_env(tmp)
        if args.cheap_hash:
            subprocess.run(
                [BIN / "authgate", "db", "upgrade"], env=env, check=True, capture_output=True
            )
            command = [str(BIN / "python"), "-c", CHEAP_SERVER, str(port)]
            env = with_huge_pages(env)
        else:
            command = [str(BIN / "authgate"), "serve", "--port", str(port)]
        server = subprocess.Popen(
            ["taskset", "-c", "0", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(base, server)
            for n in range(args.users):
                if post(f"{base}/auth/register", {"email": email(n), "password": PASSWORD}) != 201:
                    sys.exit(f"could not register {email(n)}")
            run_wrk(base, Path(tmp), 2, args.conns, args.users)  # warm up
            before = thread_cpu(server.pid)
            result = run_wrk(base, Path(tmp), args.seconds, args.conns, args.users)
            after = thread_cpu(server.pid)
        finally:
            server.terminate()
            server.wait(10)
    logins = result["requests"] - result["non2xx"]
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    print(f"one hash (pinned, median): {one_hash * 1000:.1f} ms -> bound {1 / one_hash:.1f}/s")
    rate = logins / args.seconds
    print(
        f"logins/s: {rate:.1f} ({rate * one_hash:.0%} of the bound), "
        f"non-2xx {result['non2xx']}, p99 {result['p99_ms']:.0f} ms"
    )
    print("CPU ms per login, by thread:")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        if seconds > 0:
            print(f"  {name:<20} {seconds / max(logins, 1) * 1000:6.2f}")
    total = sum(spent.values())
    print(f"  {'total':<20} {total / max(logins, 1) * 1000:6.2f}")
    print(f"server CPU: {total / args.seconds:.0%} of one core")


if __name__ == "__main__":
    main()
