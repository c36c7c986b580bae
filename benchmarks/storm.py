"""Protected requests during a login storm, with the storm on another account.

    .venv/bin/python benchmarks/storm.py [--seconds 10] [--rounds 3] [--same-account]

peerbench's ``storm`` (``benchmarks/run.sh``) reads a protected route with one token
while a second wrk logs the same account in over and over. authgate keeps at most 100
live sessions per account and ends the oldest (docs/reference/tokens.md), so after about 100
storm logins the session behind that token is ended and the protected requests are
answered 401 ``token_revoked``: cheap answers that peerbench counts in its req/s and
p99 and lists under its table as non-2xx. This runs the same scenario (``authgate
serve`` pinned to core 0 on a fresh SQLite file, wrk on core 1: ``GET /plans`` over
32 connections, 10 s after a 2 s warm-up, alone and then while 8 connections log in,
started 1 s earlier) with the logins on a second account, and counts only 200s.
``--same-account`` storms the reading account itself, as peerbench does. Linux only;
needs wrk.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from login_cost import BIN, PASSWORD, WRK_DONE, free_port, server_env, wait_ready, wrk_result

PLANS = 5  # as many as peerbench creates


def script(workdir: Path, name: str, lines: list[str]) -> Path:
    path = workdir / f"{name}.lua"
    path.write_text("\n".join([*lines, WRK_DONE]))
    return path


def start_wrk(url: str, lua: Path, conns: int, seconds: float) -> subprocess.Popen[str]:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{seconds}s"]
    return subprocess.Popen(
        [*command, "--timeout=10s", "-s", str(lua), url], stdout=subprocess.PIPE, text=True
    )


def result(wrk: subprocess.Popen[str], seconds: float) -> dict[str, float]:
    """requests/s answered 200, non-2xx, p99 ms (of every answer, as wrk gives it)."""
    out, _ = wrk.communicate()
    if wrk.returncode != 0:
        sys.exit(f"wrk failed: {out}")
    requests, non2xx, p99_ms = wrk_result(out)
    return {"ok_rps": (requests - non2xx) / seconds, "non2xx": non2xx, "p99_ms": p99_ms}


def prepare(base: str, email: str) -> str:
    """Register ``email``, log it in, give it its plans; its access token."""
    with httpx.Client(base_url=base, timeout=10) as client:
        credentials = {"email": email, "password": PASSWORD}
        client.post("/auth/register", json=credentials).raise_for_status()
        token = str(client.post("/auth/login", json=credentials).json()["access_token"])
        for n in range(PLANS):
            plan = {"title": f"plan {n}"}
            created = client.post("/plans", json=plan, headers={"Authorization": f"Bearer {token}"})
            created.raise_for_status()
        plans = client.get("/plans", headers={"Authorization": f"Bearer {token}"})
        if plans.status_code != 200 or len(plans.json()) != PLANS:
            sys.exit(f"GET /plans answered {plans.status_code}: {plans.text[:200]}")
        return token


def one_round(seconds: int, same_account: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            ["taskset", "-c", "0", str(BIN / "authgate"), "serve", "--port", str(port)],
            env=server_env(tmp),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(base, server)
            token = prepare(base, "reader@example.com")
            stormer = "reader@example.com" if same_account else "stormer@example.com"
            if not same_account:
                prepare(base, stormer)
            read = script(workdir, "read", [f'wrk.headers["Authorization"] = "Bearer {token}"'])
            body = json.dumps({"email": stormer, "password": PASSWORD})
            login = script(
                workdir,
                "login",
                [
                    'wrk.method = "POST"',
                    f"wrk.body = {json.dumps(body)}",
                    'wrk.headers["Content-Type"] = "application/json"',
                ],
            )
            result(start_wrk(f"{base}/plans", read, 32, 2), 2)  # warm up
            idle = result(start_wrk(f"{base}/plans", read, 32, seconds), seconds)
            time.sleep(1)
            logins = start_wrk(f"{base}/auth/login", login, 8, seconds + 2)
            time.sleep(1)
            storm = result(start_wrk(f"{base}/plans", read, 32, seconds), seconds)
            login_result = result(logins, seconds + 2)
        finally:
            server.terminate()
            server.wait(10)
    return {
        "idle_rps": idle["ok_rps"],
        "idle_p99_ms": idle["p99_ms"],
        "storm_rps": storm["ok_rps"],
        "storm_p99_ms": storm["p99_ms"],
        "storm_non2xx": storm["non2xx"],
        "logins_rps": login_result["ok_rps"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--same-account", action="store_true", help="as peerbench storms")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed")
    rounds = [one_round(args.seconds, args.same_account) for _ in range(args.rounds)]
    for n, r in enumerate(rounds, 1):
        print(
            f"round {n}: idle {r['idle_rps']:,.0f} req/s p99 {r['idle_p99_ms']:.2f} ms; "
            f"storm {r['storm_rps']:,.0f} req/s answered 200 "
            f"({r['storm_rps'] / r['idle_rps']:.0%} of idle), p99 {r['storm_p99_ms']:.2f} ms "
            f"({r['storm_p99_ms'] / r['idle_p99_ms']:.2f}x idle), "
            f"{r['storm_non2xx']:,} non-2xx; {r['logins_rps']:.1f} logins/s"
        )
    ratio = statistics.median(r["storm_rps"] / r["idle_rps"] for r in rounds)
    p99 = statistics.median(r["storm_p99_ms"] / r["idle_p99_ms"] for r in rounds)
    print(f"median: storm keeps {ratio:.0%} of idle req/s at {p99:.2f}x its p99")


if __name__ == "__main__":
    main()
