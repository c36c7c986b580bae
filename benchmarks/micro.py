"""In-process microbenchmarks of authgate's request path (no server, no network).

    .venv/bin/python benchmarks/micro.py [--quick]

Prints microseconds per operation: token verification (first sight, remembered,
refused), the revocation check, the protected-route dependency, the /plans read on
SQLite, the whole protected request through the ASGI app, and one password hash.
Numbers are for comparing changes on one machine, not absolute truths.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from authgate.clock import monotonic, perf_counter, system_clock
from authgate.core.keys import KeyRing
from authgate.core.models import Revocation
from authgate.core.passwords import OWASP, Passwords
from authgate.core.revocation import LocalRevocations
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens
from authgate.storage.memory import MemoryRevocationStore
from authgate.web.app import create_app
from authgate.web.gate import AuthGate

SECRET = b"benchmark-secret-0123456789abcdefghij"


def per_op(func: Callable[[], Any], number: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` microseconds per call."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        timings.append((time.perf_counter() - start) / number * 1e6)
    return min(timings)


async def per_op_async(func: Callable[[], Awaitable[Any]], number: int, repeat: int = 5) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            await func()
        timings.append((time.perf_counter() - start) / number * 1e6)
    return min(timings)


def token_benchmarks(n: int) -> dict[str, float]:
    now = time.time()
    tokens = AccessTokens(KeyRing.hmac(SECRET), ttl=900)
    fresh = [tokens.issue(user_id="u", email="e@x", session_id="s", now=now)[0] for _ in range(n)]
    fresh_iter = iter(fresh)
    first = per_op(lambda: tokens.verify(next(fresh_iter), now), n, repeat=1)
    token = fresh[0]
    remembered = per_op(lambda: tokens.verify(token, now), n)
    forged = token[:-4] + "AAAA"

    def refuse() -> None:
        try:
            tokens.verify(forged, now)
        except Exception:  # noqa: S110 — the refusal is what is measured
            pass

    refused = per_op(refuse, n)
    issue = per_op(lambda: tokens.issue(user_id="u", email="e@x", session_id="s", now=now), n)
    return {
        "issue (HS256 sign)": issue,
        "verify, first sight (PyJWT HS256)": first,
        "verify, remembered token": remembered,
        "refuse a remembered forgery": refused,
    }


async def revocation_benchmark(n: int) -> dict[str, float]:
    revocations = LocalRevocations(MemoryRevocationStore(), clock=system_clock, monotonic=monotonic)
    for i in range(10_000):
        await revocations.revoke(Revocation(kind="jti", subject=f"j{i}", expires_at=2**40))
    return {
        "revocation check (10k entries)": per_op(
            lambda: revocations.is_revoked("jx", "sx", "ux", 1), n
        )
    }


async def app_benchmarks(n: int, directory: Path) -> dict[str, float]:
    settings = Settings(
        secret=SECRET.decode(),
        database_url=f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        limit_login_account="off",
        limit_login_address="off",
        limit_register_address="off",
    )
    gate = AuthGate(settings)
    app = create_app(gate=gate)
    results: dict[str, float] = {}
    async with gate.lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
            creds = {"email": "bench@example.com", "password": "benchmark password"}
            await client.post("/auth/register", json=creds)
            start = time.perf_counter()
            tokens = (await client.post("/auth/login", json=creds)).json()
            results["login (one Argon2id verify + session)"] = (time.perf_counter() - start) * 1e6
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            for i in range(5):
                await client.post("/plans", json={"title": f"plan {i}"}, headers=headers)
            user_id = gate.service.authenticate(tokens["access_token"]).id
            results["/plans read on SQLite (5 rows)"] = await per_op_async(
                lambda: gate.plans.list(user_id), n
            )
            results["authenticate (verify + revocation)"] = per_op(
                lambda: gate.service.authenticate(tokens["access_token"]), n
            )
            results["GET /plans through the ASGI app (httpx)"] = await per_op_async(
                lambda: client.get("/plans", headers=headers), max(n // 10, 50)
            )
    return results


async def hash_benchmark() -> dict[str, float]:
    passwords = Passwords(OWASP, timer=perf_counter)
    hashed = await passwords.hash("benchmark password")
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        await passwords.verify("benchmark password", hashed)
        samples.append((time.perf_counter() - start) * 1e6)
    passwords.close()
    return {"Argon2id verify (m=19 MiB, t=2, p=1), median": statistics.median(samples)}


async def main(quick: bool) -> None:
    n = 2_000 if quick else 20_000
    results = token_benchmarks(n)
    results.update(await revocation_benchmark(n))
    with tempfile.TemporaryDirectory() as directory:
        results.update(await app_benchmarks(n, Path(directory)))
    results.update(await hash_benchmark())
    width = max(len(name) for name in results)
    for name, micros in results.items():
        print(f"{name:<{width}}  {micros:>10.1f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    asyncio.run(main(parser.parse_args().quick))
