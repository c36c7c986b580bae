"""benchmarks/seed.py and benchmarks/growth.py run and print their tables (no timing is
checked: they are benchmarks, run by hand; docs/performance.md, "Growth")."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, run_sql, service_missing

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def run(*args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_seed_fills_the_tables_of_a_migrated_sqlite_database(tmp_path: Path) -> None:
    """seed.py migrates, then writes the rows it announces, with the known admin user."""
    path = tmp_path / "seeded.db"
    out = run(
        str(BENCHMARKS / "seed.py"),
        f"sqlite+aiosqlite:///{path}",
        "--users=50",
        "--revocations=20",
    )
    assert "rows/s" in out
    connection = sqlite3.connect(path)
    counts = {
        table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (fixed names)
        for table in ("users", "sessions", "refresh_tokens", "revocations", "events")
    }
    roles = connection.execute(
        "SELECT roles FROM users WHERE email = 'growth-admin@example.com'"
    ).fetchone()
    assert counts == {
        "users": 50,
        "sessions": 250,
        "refresh_tokens": 250,
        "revocations": 20,
        "events": 500,
    }
    assert roles == ("admin",)


@pytest.mark.postgres
def test_growth_quick_prints_a_table_per_backend(tmp_path: Path) -> None:
    """growth.py --quick, on a tiny size, seeds, serves and prints both backends' tables
    and writes its plot."""
    prefix = f"growth_test_{uuid.uuid4().hex[:8]}"
    try:
        run_sql(POSTGRES_URL, "SELECT 1")
    except Exception as exc:  # any failure means: no usable server here
        service_missing("PostgreSQL", exc)
    plot = tmp_path / "growth.png"
    try:
        out = run(
            str(BENCHMARKS / "growth.py"),
            "--quick",
            "--sizes=60",
            "--samples=4",
            "--revocation-cost=0",
            f"--prefix={prefix}",
            f"--workdir={tmp_path}",
            f"--postgres-url={POSTGRES_URL}",
            "--prewarm",
            f"--plot={plot}",
            timeout=240,
        )
    finally:
        run_sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{prefix}_60_6" WITH (FORCE)')
    for backend in ("sqlite", "postgres"):
        assert f"### {backend}" in out
    assert "| admin_search p99 ms |" in out
    assert "| start-up s |" in out
    # fresh databases: no seeded refresh token was used before, so none was refused
    assert out.count("refused, used by an earlier run (not timed): 0\n") == 2
    # --prewarm read the refresh's tables and their indexes on PostgreSQL, the file on SQLite
    assert re.search(r"Prewarmed \(pg_prewarm\) before each size: 1\d relations, ", out)
    assert out.count("Prewarmed (pg_prewarm)") == 1
    cached = r"Prewarmed \(read into the OS page cache\) before each size: the file, \d+ MB in "
    assert len(re.findall(cached, out)) == 1
    # and how much of the hot files the page cache held, for each size and backend (a
    # user who may not read PostgreSQL's files is told so)
    held = r"[\d,.]+ of [\d,.]+ [MG]B"
    if os.geteuid() != 0:
        held = rf"({held}|unknown)"
    residency = rf"In the OS page cache before each size \(the hot files\): {held}"
    assert len(re.findall(residency, out)) == 2
    assert plot.stat().st_size > 0
