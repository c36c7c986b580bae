"""How long a failed login takes, by kind of account, against a real server.

Starts ``authgate serve`` on a scratch SQLite file (real Argon2id parameters, rate
limits off), registers an Argon2 user, imports bcrypt users of cost 10 and 12, then
sends wrong-password logins for an unknown email and each kind, interleaved, and
prints the median, p90 and spread of each. Then it measures a good login of another
user while parallel wrong logins hammer the cost-12 user (the stall the cost cap and
the per-account hashing turn prevent).

    .venv/bin/python benchmarks/login_timing.py --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bcrypt
import httpx

PASSWORD = "the right password"
KINDS = ("unknown", "argon2", "bcrypt-10", "bcrypt-12")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(directory: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AUTHGATE_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        "AUTHGATE_SECRET": "login-timing-benchmark-secret-0123456789",
        "AUTHGATE_LIMIT_LOGIN_ACCOUNT": "off",
        "AUTHGATE_LIMIT_LOGIN_ADDRESS": "off",
        "AUTHGATE_LIMIT_REGISTER_ADDRESS": "off",
    }
    authgate = Path(sys.executable).with_name("authgate")
    lines = "".join(
        json.dumps({"email": f"bcrypt{cost}@example.com", "password_hash": hashed}) + "\n"
        for cost, hashed in (
            (cost, bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(cost)).decode())
            for cost in (10, 12)
        )
    )
    (directory / "users.jsonl").write_text(lines)
    subprocess.run(
        [str(authgate), "user", "import", str(directory / "users.jsonl")], env=env, check=True
    )
    return subprocess.Popen(
        [str(authgate), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_up(client: httpx.AsyncClient) -> None:
    for _ in range(100):
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the server did not come up")


async def timed_login(client: httpx.AsyncClient, email: str, password: str) -> tuple[float, int]:
    started = time.perf_counter()
    answer = await client.post("/auth/login", json={"email": email, "password": password})
    return time.perf_counter() - started, answer.status_code


async def measure(client: httpx.AsyncClient, rounds: int) -> dict[str, list[float]]:
    emails = {
        "unknown": "nobody@example.com",
        "argon2": "argon@example.com",
        "bcrypt-10": "bcrypt10@example.com",
        "bcrypt-12": "bcrypt12@example.com",
    }
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    await timed_login(client, "warm-up@example.com", "wrong password")  # the floor is measured
    for _ in range(rounds):
        for kind in KINDS:
            elapsed, status = await timed_login(client, emails[kind], "wrong password")
            assert status == 401, status
            seconds[kind].append(elapsed)
    return seconds


async def stall(client: httpx.AsyncClient) -> tuple[float, float]:
    """A good login alone, and during three parallel wrong logins on the cost-12 user."""
    alone, _ = await timed_login(client, "argon@example.com", PASSWORD)
    storm = [
        asyncio.ensure_future(timed_login(client, "bcrypt12@example.com", "wrong password"))
        for _ in range(3)
    ]
    await asyncio.sleep(0.01)
    during, status = await timed_login(client, "argon@example.com", PASSWORD)
    assert status == 200, status
    await asyncio.gather(*storm)
    return alone, during


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        server = start_server(Path(scratch), port)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                await wait_up(client)
                registered = await client.post(
                    "/auth/register", json={"email": "argon@example.com", "password": PASSWORD}
                )
                assert registered.status_code == 201, registered.text
                seconds = await measure(client, rounds)
                alone, during = await stall(client)
        finally:
            server.terminate()
            server.wait(10)
    print(f"wrong-password logins, {rounds} each (ms):")
    print(f"{'account':<10} {'median':>7} {'p90':>7} {'min':>7} {'max':>7}")
    for kind in KINDS:
        values = sorted(s * 1000 for s in seconds[kind])
        p90 = values[int(0.9 * (len(values) - 1))]
        median = statistics.median(values)
        print(f"{kind:<10} {median:7.1f} {p90:7.1f} {values[0]:7.1f} {values[-1]:7.1f}")
    medians = [statistics.median(seconds[kind]) * 1000 for kind in KINDS]
    print(f"spread of the medians: {max(medians) - min(medians):.1f} ms")
    print(
        f"good login alone: {alone * 1000:.0f} ms; during 3 wrong cost-12 logins: "
        f"{during * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
