"""How long ``POST /auth/password/forgot`` takes for a registered address and for an
unknown one, against a real server (no enumeration by timing, API.md §3.1).

Starts ``authgate serve`` on a scratch SQLite file (rate limits off; mail to the
outbox directory), registers users, then sends forgot requests for registered and
unknown addresses, interleaved, each address once (so the per-account mail limit
never decides), and prints the median, p90 and mean of each kind and their gap.

    .venv/bin/python benchmarks/forgot_timing.py --rounds 200
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        port = free_port()
        env = {
            **os.environ,
            "AUTHGATE_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'bench.db'}",
            "AUTHGATE_SECRET": "forgot-timing-benchmark-secret-0123456789",
            "AUTHGATE_LIMIT_REGISTER_ADDRESS": "off",
            "AUTHGATE_LIMIT_MAIL_ADDRESS": "off",
        }
        authgate = Path(sys.executable).with_name("authgate")
        server = subprocess.Popen(
            [str(authgate), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            run(f"http://127.0.0.1:{port}", args.rounds)
        finally:
            server.terminate()
            server.wait()


def run(url: str, rounds: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(300):
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        for n in range(rounds):
            http.post(
                "/auth/register",
                json={"email": f"known{n}@example.com", "password": "a long password"},
            )
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(rounds):
            for kind in ("known", "unknown"):
                started = time.perf_counter()
                answer = http.post(
                    "/auth/password/forgot", json={"email": f"{kind}{n}@example.com"}
                )
                times[kind].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 202, answer.text
    for kind, values in times.items():
        values.sort()
        print(
            f"{kind:8} median {statistics.median(values):6.2f} ms  "
            f"p90 {values[int(len(values) * 0.9)]:6.2f} ms  mean {statistics.fmean(values):6.2f} ms"
        )
    gap = statistics.median(times["known"]) - statistics.median(times["unknown"])
    print(f"median gap (known - unknown): {gap:+.2f} ms over {rounds} of each")


if __name__ == "__main__":
    main()
