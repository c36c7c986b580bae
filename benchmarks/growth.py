"""How authgate's latencies, memory, start-up and migrations grow with its data.

    .venv/bin/python benchmarks/growth.py [--quick] [--backends sqlite,postgres]
        [--sizes 1000,100000,1000000] [--samples 200] [--reuse] [--workdir DIR]
        [--postgres-url URL] [--prewarm] [--plot docs/images/growth_p99.png] [--json FILE]

For each backend and each size N (users; 5 sessions with their refresh tokens and 10
events per user; 0, 10k and 100k live revocations at 1k, 100k and 1M users), it seeds
a database with ``seed.py`` (``--reuse`` keeps one already seeded at that size), times
a schema change (add a nullable column to ``sessions`` through Alembic, then drop it),
starts ``authgate serve`` pinned to CPU 0 (start-up: process start to ``/healthz``
200), and times sequential requests from this process, pinned to CPU 1:

- ``GET /auth/me`` (a protected request), ``GET /auth/sessions``, ``GET /auth/events``
  and ``GET /admin/users?q=user0xxxx`` (a prefix that matches 100 users) as the known
  admin user, ``--samples`` each;
- ``POST /auth/refresh`` of seeded refresh tokens of random sessions (each used once);
- ``POST /auth/login`` of the known user and of an unknown email, ``--samples`` ÷ 5.

It prints one markdown table per backend (p50 / p99 in ms, RSS, start-up, schema
change) and plots p99 against N. ``--quick``: 1k and 10k users, fewer samples, about a
minute on SQLite. Numbers are indicative: the machine's load is printed with them.
``--prewarm`` first reads the tables a refresh uses (users, sessions, refresh tokens and
their indexes) into PostgreSQL's shared buffers with ``pg_prewarm``, as a deployment
sized for its data would hold them (docs/deploy.md, "PostgreSQL's memory"), and reads
an SQLite file through into the OS page cache (which a VM's host may take back within
minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import growth_server
import httpx
import prewarm
import seed

ROOT = Path(__file__).resolve().parent.parent
FULL_SIZES = {1_000: 0, 100_000: 10_000, 1_000_000: 100_000}
QUICK_SIZES = {1_000: 0, 10_000: 1_000}
ENDPOINTS = (
    "protected",
    "refresh",
    "login_known",
    "login_unknown",
    "sessions",
    "events",
    "admin_search",
)
Result = dict[str, Any]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(
    samples: int, call: Callable[[int], httpx.Response], *, attempts: int | None = None
) -> dict[str, float]:
    """p50 and p99 in ms of ``samples`` calls, after a few unmeasured ones.

    With ``attempts``, only answers of 2xx are timed, from up to that many calls, and
    the others are counted as ``refused``: a seeded refresh token that an earlier run
    on a reused database (``percore.py``, another ``growth.py``) already rotated is
    refused as reuse, and that path (the session revoked, an event written) is not the
    refresh this measures."""
    for n in range(min(3, samples)):
        call(-1 - n)
    durations: list[float] = []
    refused = 0
    for n in range(samples if attempts is None else attempts):
        if len(durations) == samples:
            break
        started = time.perf_counter()
        response = call(n)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 500:
            raise SystemExit(f"{response.request.url}: {response.status_code} {response.text}")
        if attempts is not None and not response.is_success:
            refused += 1
            continue
        durations.append(elapsed)
    if not durations:
        raise SystemExit(f"every call was refused ({refused}): seed the database afresh")
    result = {"p50": percentile(durations, 0.5), "p99": percentile(durations, 0.99)}
    if attempts is not None:
        result["refused"] = refused
    return result


def measure_requests(url: str, n_users: int, n_sessions: int, samples: int) -> Result:
    rng = random.Random()  # new tokens on each run of a reused database
    known = {"email": seed.KNOWN_EMAIL, "password": seed.KNOWN_PASSWORD}
    unknown = {"email": "nobody-here@example.com", "password": seed.KNOWN_PASSWORD}
    # Seeded refresh tokens of random sessions, each used once (the first half of the
    # sessions: the revocations by session are taken from the end); twice as many as
    # needed, for those an earlier run on a reused database used.
    pool = rng.sample(range(max(1, n_sessions // 2)), min(n_sessions // 2, 2 * samples + 10))
    with httpx.Client(base_url=url, timeout=30) as client:
        login = client.post("/auth/login", json=known)
        login.raise_for_status()
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def prefix(_: int) -> str:
            return seed.email(rng.randrange(1, n_users))[:9]

        calls: dict[str, tuple[int, Callable[[int], httpx.Response]]] = {
            "protected": (samples, lambda _: client.get("/auth/me", headers=bearer)),
            "sessions": (samples, lambda _: client.get("/auth/sessions", headers=bearer)),
            "events": (samples, lambda _: client.get("/auth/events", headers=bearer)),
            "admin_search": (
                samples,
                lambda n: client.get("/admin/users", params={"q": prefix(n)}, headers=bearer),
            ),
            "refresh": (
                min(samples, len(pool) - 5),
                lambda n: client.post(
                    "/auth/refresh", json={"refresh_token": seed.refresh_token(pool[n + 5])}
                ),
            ),
            "login_known": (
                max(3, samples // 5),
                lambda _: client.post("/auth/login", json=known),
            ),
            "login_unknown": (
                max(3, samples // 5),
                lambda _: client.post("/auth/login", json=unknown),
            ),
        }
        results: Result = {}
        for name in ENDPOINTS:
            count, call = calls[name]
            attempts = len(pool) - 5 if name == "refresh" else None
            results[name] = timed(count, call, attempts=attempts)
    return results


def database_url(backend: str, size: int, revocations: int, args: argparse.Namespace) -> str:
    name = f"{args.prefix}_{size}_{revocations}"
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{Path(args.workdir) / name}.db"
    base, _, _ = args.postgres_url.rpartition("/")
    return f"{base}/{name}"


def prepare(url: str, size: int, revocations: int, reuse: bool) -> float | None:
    """Seed the database afresh (None if reused, its revocations made live again);
    seconds taken."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        if reuse and path.exists():
            asyncio.run(seed.renew(url))
            return None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        name = url.rsplit("/", 1)[1]
        if reuse and asyncio.run(_postgres_has(url, name)):
            asyncio.run(seed.renew(url))
            return None
        asyncio.run(_postgres_recreate(url, name))
    started = time.perf_counter()
    plan = seed.Plan(size, 5 * size, 10 * size, revocations)
    asyncio.run(seed.seed(url, plan))
    return time.perf_counter() - started


async def _admin(url: str) -> Any:
    import asyncpg

    base = url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    return await asyncpg.connect(f"{base}/postgres")


async def _postgres_has(url: str, name: str) -> bool:
    conn = await _admin(url)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def _postgres_recreate(url: str, name: str) -> None:
    conn = await _admin(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def run_one(backend: str, size: int, revocations: int, args: argparse.Namespace) -> Result:
    url = database_url(backend, size, revocations, args)
    seeded = prepare(url, size, revocations, args.reuse)
    result: Result = {"backend": backend, "users": size, "revocations": revocations}
    result["seed_s"] = seeded
    if args.prewarm:
        result["prewarmed"] = prewarm.prewarm(url)
    result["cached"] = prewarm.cached(url)
    result["load_before"] = growth_server.load()
    result["add_column_s"], result["drop_column_s"] = growth_server.time_schema_change(url)
    with growth_server.serve(url) as server:
        result["startup_s"] = server.startup_s
        result["rss_start_mb"] = server.rss_mb()
        result.update(measure_requests(server.url, size, 5 * size, args.samples))
        result["rss_mb"] = server.rss_mb()
    result["load_after"] = growth_server.load()
    print(json.dumps(result), flush=True)
    return result


def revocation_cost(backend: str, count: int, args: argparse.Namespace) -> Result:
    """Start-up time and RSS after start of a server on 1k users with no revocation and
    with ``count`` live ones (median of three starts each)."""
    result: Result = {"backend": backend, "revocations": count, "load_before": growth_server.load()}
    for revocations in (0, count):
        url = database_url(backend, 1_000, revocations, args)
        prepare(url, 1_000, revocations, args.reuse)
        starts, sizes = [], []
        for _ in range(3):
            with growth_server.serve(url) as server:
                starts.append(server.startup_s)
                sizes.append(server.rss_mb())
        key = "with" if revocations else "without"
        result[f"startup_{key}_s"] = sorted(starts)[1]
        result[f"rss_{key}_mb"] = sorted(sizes)[1]
    result["load_after"] = growth_server.load()
    print(json.dumps(result), flush=True)
    return result


def cost_table(costs: list[Result]) -> str:
    lines = [
        "| backend | live revocations | start-up s (none → with) | RSS after start MB"
        " (none → with) | cost |",
        "|---|---|---|---|---|",
    ]
    for c in costs:
        extra_s = c["startup_with_s"] - c["startup_without_s"]
        extra_mb = c["rss_with_mb"] - c["rss_without_mb"]
        lines.append(
            f"| {c['backend']} | {c['revocations']:,} | {c['startup_without_s']:.2f} → "
            f"{c['startup_with_s']:.2f} | {c['rss_without_mb']:.1f} → {c['rss_with_mb']:.1f} | "
            f"+{extra_s:.2f} s, +{extra_mb:.1f} MB |"
        )
    return "\n".join(lines)


def table(results: list[Result], backend: str) -> str:
    """One markdown table: a row per measure, a column per size, and last ÷ first."""
    rows = [r for r in results if r["backend"] == backend]
    header = ["", *(f"{r['users']:,} users, {r['revocations']:,} revocations" for r in rows)]
    lines = ["| " + " | ".join(header) + " | last ÷ first |", "|---" * (len(header) + 1) + "|"]

    def line(label: str, values: list[float], fmt: str) -> None:
        ratio = values[-1] / values[0] if values[0] else float("nan")
        cells = [format(v, fmt) for v in values]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | \u00d7{ratio:.2f} |")

    for name in ENDPOINTS:
        for stat in ("p50", "p99"):
            line(f"{name} {stat} ms", [r[name][stat] for r in rows], ".2f")
    line("RSS after start MB", [r["rss_start_mb"] for r in rows], ".1f")
    line("RSS after run MB", [r["rss_mb"] for r in rows], ".1f")
    line("start-up s", [r["startup_s"] for r in rows], ".2f")
    line("add column s", [r["add_column_s"] for r in rows], ".3f")
    line("drop column s", [r["drop_column_s"] for r in rows], ".3f")
    refused = ", ".join(str(r["refresh"].get("refused", "-")) for r in rows)
    lines.append(f"\nSeeded refresh tokens refused, used by an earlier run (not timed): {refused}")
    if any("prewarmed" in r for r in rows):
        warmed = "; ".join(r.get("prewarmed", "-") for r in rows)
        how = "pg_prewarm" if backend == "postgres" else "read into the OS page cache"
        lines.append(f"\nPrewarmed ({how}) before each size: {warmed}")
    cache = ", ".join(str(r.get("cached", "-")) for r in rows)
    lines.append(f"\nIn the OS page cache before each size (the hot files): {cache}")
    loads = ", ".join(f"{r['load_before']} → {r['load_after']}" for r in rows)
    lines.append(f"\nLoad averages (1/5/15 min) before → after each size: {loads}")
    return "\n".join(lines)


def plot(results: list[Result], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    backends = sorted({r["backend"] for r in results})
    figure, axes = plt.subplots(1, len(backends), figsize=(6 * len(backends), 4.5), squeeze=False)
    for axis, backend in zip(axes[0], backends, strict=True):
        rows = [r for r in results if r["backend"] == backend]
        sizes = [r["users"] for r in rows]
        for name in ENDPOINTS:
            axis.plot(sizes, [r[name]["p99"] for r in rows], marker="o", label=name)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("users (5 sessions, 10 events each)")
        axis.set_ylabel("p99 latency, ms")
        axis.set_title(f"authgate on {backend}")
        axis.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k users, fewer samples")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--sizes", default=None, help="comma-separated user counts")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--reuse", action="store_true", help="keep databases already seeded")
    parser.add_argument(
        "--prewarm",
        action="store_true",
        help="read the tables a refresh uses into PostgreSQL's shared_buffers first "
        "(pg_prewarm), an SQLite file into the OS page cache",
    )
    parser.add_argument("--prefix", default="growth", help="of the databases' names")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "authgate-growth"))
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--plot", default=str(ROOT / "docs/images/growth_p99.png"))
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument(
        "--from-json",
        nargs="+",
        default=None,
        help="measure nothing: print the tables and plot of earlier --json files",
    )
    parser.add_argument(
        "--revocation-cost",
        type=int,
        default=None,
        help="live revocations whose start-up and RSS cost is measured on 1k users "
        "(default 100,000; --quick 10,000; 0: skip)",
    )
    args = parser.parse_args()
    sizes = dict(QUICK_SIZES if args.quick else FULL_SIZES)
    if args.sizes:
        sizes = {int(n): FULL_SIZES.get(int(n), int(n) // 10) for n in args.sizes.split(",")}
    if args.samples is None:
        args.samples = 50 if args.quick else 300
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the server runs on CPU 0
    if args.revocation_cost is None:
        args.revocation_cost = 10_000 if args.quick else 100_000
    backends = args.backends.split(",")
    if args.from_json:
        results, costs = [], []
        for name in args.from_json:
            earlier = json.loads(Path(name).read_text())
            results += earlier["sizes"]
            costs += earlier["revocations"]
        backends = list(dict.fromkeys(r["backend"] for r in results))
    else:
        results = [
            run_one(backend, size, revocations, args)
            for backend in backends
            for size, revocations in sizes.items()
        ]
        costs = [
            revocation_cost(b, args.revocation_cost, args) for b in backends if args.revocation_cost
        ]
    for backend in backends:
        print(f"\n### {backend}\n\n{table(results, backend)}")
    if costs:
        print(f"\n### live revocations\n\n{cost_table(costs)}")
    if args.json:
        Path(args.json).write_text(json.dumps({"sizes": results, "revocations": costs}, indent=1))
    if args.plot:
        plot(results, Path(args.plot))
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
