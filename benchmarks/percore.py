"""Logins/s and refreshes/s per core on a seeded database, against Keycloak's sizing.

    .venv/bin/python benchmarks/percore.py URL --users N [--sessions M] [--seconds 10]
        [--redis-url redis://127.0.0.1:6379/0] [--connections 8] [--quota CPUS]

``URL`` is a database seeded by ``seed.py`` (PostgreSQL for the figures in
docs/performance.md). One server pinned to CPU 0 with Debian's ``wrk`` pinned to CPU
1, then ``--workers 2`` with Redis (not pinned: on a 2-core machine wrk shares the
cores with the workers). wrk logs in seeded users in turn (every user has the same
password, so the account's own hashing turn never serialises the run) and refreshes
seeded refresh tokens of sessions taken in order (each used once) from a stretch of
``SLOT`` sessions in the first half, each configuration its own, which no earlier run
on the database drew from. Each scenario runs 2 s before it is measured (refreshes on
tokens of their own). Keycloak's high-availability sizing guide budgets one vCPU per 15
password logins/s and per 120 refresh-token requests/s.

On two cores, "two workers on two cores" leaves none for wrk and PostgreSQL. With
``--quota CPUS`` the server runs in a cgroup limited to CPUS CPUs with one worker, then
to twice that with two (both with Redis), the rest of the machine free for wrk and
PostgreSQL; the last line is two workers ÷ one. Each line gives how busy the whole
machine was: well under 100 %, the quota and not the load generator bounded the run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import cpu_quota
import growth_server
import seed
from login_cost import hash_seconds

KEYCLOAK_LOGINS_PER_VCPU = 15
KEYCLOAK_REFRESHES_PER_VCPU = 120
#: Refresh tokens the warm-up may use (2 s at up to 5,000/s), before the measured ones.
WARM_UP_TOKENS = 10_000
#: The sessions one configuration may draw from: the warm-up's, then 10 s at 3,000/s.
SLOT = 40_000

LOGIN_LUA = """counter = {start}
request = function()
  counter = counter + 1
  local body = string.format('{{"email":"user%07d@example.com","password":"{password}"}}',
                             1 + counter % ({users} - 1))
  return wrk.format("POST", "/auth/login", {{["Content-Type"] = "application/json"}}, body)
end
"""
REFRESH_LUA = """counter = {start}
request = function()
  counter = counter + 1
  local body = '{{"refresh_token":"{prefix}' .. counter .. '"}}'
  return wrk.format("POST", "/auth/refresh", {{["Content-Type"] = "application/json"}}, body)
end
"""


def wrk(url: str, path: str, script: str, seconds: int, connections: int, cpus: str | None) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua.name]
        if cpus is not None:
            command = ["taskset", "-c", cpus, *command]
        return subprocess.run(
            [*command, f"{url}{path}"], capture_output=True, text=True, check=True
        ).stdout


def requests(output: str) -> int:
    """How many requests wrk completed (0 if it says nothing)."""
    total = re.search(r"(\d+) requests in", output)
    return int(total.group(1)) if total else 0


def rate(output: str) -> float:
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    if float(match.group(1)) == 0:
        print(f"  (no request completed:)\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = requests(output)
    # A seeded token may already have been used by an earlier run on this database
    # (growth.py's samples): a few refusals are reported, more abort the run.
    if errors and total and int(errors.group(1)) * 100 > total:
        raise SystemExit(f"wrk saw errors:\n{output}")
    if errors:
        print(f"  ({errors.group(1)} refused of {total or '?'})")
    return float(match.group(1))


def p99(output: str) -> str:
    """The 99th percentile of ``--latency``'s distribution: its own line ("99%" also
    ends a spread such as "90.99%" on the thread-stats lines above it)."""
    match = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    return match.group(1) if match else "?"


#: What PostgreSQL wrote: the WAL position, and the updates of ``sessions`` (all, HOT).
WAL_STATE = """
SELECT pg_current_wal_lsn() - '0/0', n_tup_upd, n_tup_hot_upd
FROM pg_stat_user_tables WHERE relname = 'sessions'
"""


def wal_state(url: str) -> tuple[int, int, int] | None:
    """PostgreSQL's WAL position and session updates so far (None on SQLite). The
    statistics reach the view up to a second after a transaction: wait that out."""
    if not url.startswith("postgresql"):
        return None

    async def read() -> tuple[int, int, int]:
        import asyncpg

        conn = await asyncpg.connect(url.replace("+asyncpg", "", 1))
        try:
            row = await conn.fetchrow(WAL_STATE)
        finally:
            await conn.close()
        assert row is not None  # the query returns one row
        return int(row[0]), int(row[1]), int(row[2])

    time.sleep(1.5)
    return asyncio.run(read())


def wal_report(before: tuple[int, int, int] | None, url: str, output: str) -> str:
    """WAL bytes per refresh and the share of session updates that were HOT."""
    after, total = wal_state(url), requests(output)
    if before is None or after is None or not total:
        return ""
    wal, updates, hot = (b - a for a, b in zip(before, after, strict=True))
    hot_share = f"{hot / updates:.0%}" if updates else "-"
    return f", WAL {wal / total / 1024:.1f} KB/refresh, HOT {hot_share}"


def argon2_build() -> str:
    """Which argon2-cffi-bindings is installed: PyPI's wheel (built for any x86-64) or
    one built on this machine (``scripts/build-argon2.sh``: AVX2)."""
    tags = metadata.distribution("argon2-cffi-bindings").read_text("WHEEL") or ""
    return "PyPI's wheel" if "manylinux" in tags else "built here"


#: Whether any of a stretch's sampled seeded tokens was rotated already.
ROTATED = """
SELECT token_hash FROM refresh_tokens WHERE token_hash IN :hashes AND rotated_at IS NOT NULL
"""


def unused(url: str, slots: range) -> list[int]:
    """The stretches of seeded sessions none of whose sampled refresh tokens (every
    ``SLOT // 10``-th) an earlier run rotated."""
    samples = {
        start: [seed.token_hash(start + i) for i in range(0, SLOT, SLOT // 10)] for start in slots
    }

    async def rotated() -> set[str]:
        from sqlalchemy import bindparam, text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        query = text(ROTATED).bindparams(bindparam("hashes", expanding=True))
        try:
            async with engine.connect() as conn:
                hashes = [h for each in samples.values() for h in each]
                return set((await conn.execute(query, {"hashes": hashes})).scalars())
        finally:
            await engine.dispose()

    used = asyncio.run(rotated())
    return [start for start, hashes in samples.items() if used.isdisjoint(hashes)]


def busy_share(before: list[int], after: list[int]) -> float:
    """The machine's busy share between two readings of /proc/stat's ``cpu`` line."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    idle = spent[3] + spent[4]  # idle, iowait
    return 1 - idle / sum(spent) if sum(spent) else 0.0


def cpu_times() -> list[int]:
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


@dataclass
class Config:
    name: str
    workers: int
    cpus: str | None = None
    wrk_cpus: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    quota: float | None = None


def measure(
    config: Config, args: argparse.Namespace, rng: random.Random, start: int
) -> tuple[float, float]:
    """One configuration's logins/s and refreshes/s, printed on one line; its refreshes
    present the seeded tokens of the sessions from ``start`` on."""
    with ExitStack() as stack:
        group = None
        if config.quota is not None:
            group = stack.enter_context(cpu_quota.quota_group(config.quota))
        server = stack.enter_context(
            growth_server.serve(
                args.url,
                cpus=config.cpus,
                workers=config.workers,
                extra=config.extra,
                group=group,
            )
        )
        login = LOGIN_LUA.format(
            start=rng.randrange(args.users), users=args.users, password=seed.KNOWN_PASSWORD
        )
        # Each scenario is warmed up first (its statements prepared, its pages read):
        # refreshes on tokens of their own, WARM_UP_TOKENS before the measured ones.
        warm_up = REFRESH_LUA.format(start=start, prefix=seed.REFRESH_PREFIX)
        refresh = REFRESH_LUA.format(start=start + WARM_UP_TOKENS, prefix=seed.REFRESH_PREFIX)

        def run(path: str, script: str, seconds: int) -> str:
            return wrk(server.url, path, script, seconds, args.connections, config.wrk_cpus)

        run("/auth/login", login, 2)
        cpu, machine = growth_server.cpu_seconds(server.process.pid), cpu_times()
        logins = run("/auth/login", login, args.seconds)
        login_cpu = (growth_server.cpu_seconds(server.process.pid) - cpu) / args.seconds
        login_busy = busy_share(machine, cpu_times())
        run("/auth/refresh", warm_up, 2)
        wal = wal_state(args.url)
        cpu, machine = growth_server.cpu_seconds(server.process.pid), cpu_times()
        refreshes = run("/auth/refresh", refresh, args.seconds)
        refresh_cpu = (growth_server.cpu_seconds(server.process.pid) - cpu) / args.seconds
        refresh_busy = busy_share(machine, cpu_times())
        written = wal_report(wal, args.url, refreshes)
    login_rate, refresh_rate = rate(logins), rate(refreshes)
    print(
        f"  {config.name:<32} logins/s {login_rate:7.1f} (p99 {p99(logins)}, "
        f"{login_rate / KEYCLOAK_LOGINS_PER_VCPU:.1f}x Keycloak's 15/vCPU, "
        f"server CPU {login_cpu:.0%}, machine busy {login_busy:.0%})   "
        f"refreshes/s {refresh_rate:7.1f} (p99 {p99(refreshes)}, "
        f"{refresh_rate / KEYCLOAK_REFRESHES_PER_VCPU:.1f}x Keycloak's 120/vCPU, "
        f"server CPU {refresh_cpu:.0%}, machine busy {refresh_busy:.0%}{written})   "
        f"load {growth_server.load()}",
        flush=True,
    )
    return login_rate, refresh_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--sessions", type=int, default=None, help="default: 5 per user")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--quota",
        type=float,
        default=None,
        metavar="CPUS",
        help="instead: one worker limited to CPUS CPUs, then two workers to twice that "
        "(a cgroup CPU quota; needs root), both with Redis",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    sessions = args.sessions or 5 * args.users
    rng = random.Random(time.time_ns())
    redis = {
        "AUTHGATE_REDIS_URL": args.redis_url,
        "AUTHGATE_REDIS_PREFIX": f"percore-{rng.getrandbits(32):08x}",
    }
    if args.quota is None:
        configurations = [
            Config("1 worker, CPU 0 (wrk on CPU 1)", 1, cpus="0", wrk_cpus="1"),
            Config("2 workers, Redis (not pinned)", 2, extra=redis),
        ]
    else:
        q = args.quota
        configurations = [
            Config(f"1 worker, Redis, {q:g} CPU", 1, extra=redis, quota=q),
            Config(f"2 workers, Redis, {2 * q:g} CPU", 2, extra=redis, quota=2 * q),
        ]
    print(f"{args.url}: {args.users:,} users, {sessions:,} sessions; load {growth_server.load()}")
    seconds = hash_seconds("OWASP")
    print(
        f"  one Argon2id verification (m=19 MiB, t=2, p=1; argon2-cffi-bindings "
        f"{argon2_build()}) on CPU 0: {seconds * 1000:.1f} ms: "
        f"at most {1 / seconds:.1f} logins/s per core ({1 / seconds / 15:.1f}x Keycloak's 15)"
    )
    # Each configuration's own stretch of sessions in the first half, none shared, and
    # none that an earlier run on this database drew from.
    stretches = range(0, max(sessions // 2 - SLOT, 1), SLOT)
    if len(stretches) < len(configurations):
        raise SystemExit(f"needs more than {2 * SLOT * len(configurations):,} seeded sessions")
    slots = unused(args.url, stretches)
    if len(slots) < len(configurations):
        raise SystemExit("the seeded refresh tokens are used up: seed the database afresh")
    starts = rng.sample(slots, len(configurations))
    try:
        rates = [
            measure(config, args, rng, start)
            for config, start in zip(configurations, starts, strict=True)
        ]
    except cpu_quota.QuotaUnavailable as error:
        raise SystemExit(f"--quota: {error}") from error
    (one_logins, one_refreshes), (two_logins, two_refreshes) = rates
    print(
        f"  two workers ÷ one: logins {two_logins / one_logins:.2f}x, "
        f"refreshes {two_refreshes / one_refreshes:.2f}x"
    )


if __name__ == "__main__":
    main()
