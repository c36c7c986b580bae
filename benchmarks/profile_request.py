"""Profile one request path in-process: the ASGI app called directly, no network.

    .venv/bin/python benchmarks/profile_request.py [protected|reject|login|refresh] [-n 5000]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/profile]

Prints cProfile's top functions by own time (the event loop's thread only: a login's
password hash runs on the hashing thread), µs per request, and the event loop
thread's CPU µs per request.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from authgate.core.settings import Settings
from authgate.web.app import create_app
from authgate.web.gate import AuthGate

SECRET = "benchmark-secret-0123456789abcdefghij"


async def prepare(directory: Path, database_url: str | None) -> tuple[Any, AuthGate, str]:
    url = database_url or f"sqlite+aiosqlite:///{directory / 'p.db'}"
    settings = Settings(secret=SECRET, database_url=url)
    gate = AuthGate(settings)
    app = create_app(gate=gate)
    return app, gate, ""


def scope_for(path: str, token: str, method: str = "GET") -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]
    if method == "POST":
        headers = [(b"host", b"bench"), (b"content-type", b"application/json")]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


arguments_callers = ""


async def run(kind: str, n: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        app, gate, _ = await prepare(Path(directory), database_url)
        async with gate.lifespan(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                creds = {"email": f"p{time.time_ns()}@example.com", "password": "profile password"}
                await client.post("/auth/register", json=creds)
                tokens = (await client.post("/auth/login", json=creds)).json()
                token = tokens["access_token"]
                for i in range(5):
                    await client.post(
                        "/plans",
                        json={"title": f"plan {i}"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
            if kind == "reject":
                token = token[:-4] + "AAAA"
            scope = scope_for("/plans", token)
            body = b""
            if kind == "login":
                scope = scope_for("/auth/login", "", "POST")
                body = json.dumps(creds).encode()
            refresh = {"token": tokens["refresh_token"]}
            if kind == "refresh":
                scope = scope_for("/auth/refresh", "", "POST")
            statuses: list[int] = []

            async def receive() -> dict[str, Any]:
                if kind == "refresh":  # each refresh token is used once: the chain goes on
                    chained = json.dumps({"refresh_token": refresh["token"]}).encode()
                    return {"type": "http.request", "body": chained, "more_body": False}
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])
                elif kind == "refresh" and message.get("body"):
                    refresh["token"] = json.loads(message["body"])["refresh_token"]

            for _ in range(20 if kind == "login" else 200):
                await app(dict(scope), receive, send)
                await asyncio.sleep(0)
            profiler = cProfile.Profile()
            start, loop_cpu = time.perf_counter(), time.thread_time()
            profiler.enable()
            for _ in range(n):
                await app(dict(scope), receive, send)
                await asyncio.sleep(0)  # let background tasks run, as a server's loop does
            profiler.disable()
            elapsed = time.perf_counter() - start
            loop_cpu = time.thread_time() - loop_cpu
            print(
                f"{kind}: status {statuses[-1]}, {elapsed / n * 1e6:.0f} µs/request, "
                f"event loop CPU {loop_cpu / n * 1e6:.0f} µs/request (profiled)"
            )
            stats = pstats.Stats(profiler).sort_stats("tottime")
            stats.print_stats(25)
            if arguments_callers:
                stats.print_callers(arguments_callers)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "kind", nargs="?", default="protected", choices=["protected", "reject", "login", "refresh"]
    )
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--callers", default="", help="also show who calls this function")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    arguments = parser.parse_args()
    arguments_callers = arguments.callers
    asyncio.run(run(arguments.kind, arguments.n, arguments.database_url))
