"""``authgate doctor`` on a good deployment and on bad ones, as an operator runs it
(the CLI in a subprocess, against the real database, Redis and SMTP server)."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL
from tests.integration.conftest import AUTHGATE
from tests.mailserver import MailServer

pytestmark = pytest.mark.slow

STRONG = secrets.token_urlsafe(48)


def doctor(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    base.update(
        AUTHGATE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}",
        AUTHGATE_SECRET=STRONG,
    )
    base.update(env)
    return subprocess.run(
        [AUTHGATE, "doctor", *args],
        env=base,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def upgrade(tmp_path: Path, **env: str) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    base.update(
        AUTHGATE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}",
        AUTHGATE_SECRET=STRONG,
    )
    base.update(env)
    subprocess.run([AUTHGATE, "db", "upgrade"], env=base, check=True, capture_output=True)


def lines(result: subprocess.CompletedProcess[str], status: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(status)]


def test_a_good_deployment_passes(tmp_path: Path, mail_server: MailServer) -> None:
    upgrade(tmp_path)
    result = doctor(
        tmp_path,
        AUTHGATE_REDIS_URL=REDIS_URL,
        AUTHGATE_SMTP_URL=mail_server.url,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines(result, "FAIL") == []
    checks = {line.split(":")[0].split(maxsplit=1)[1] for line in lines(result, "OK")}
    assert {
        "secret",
        "cookies",
        "lifetimes",
        "database",
        "migrations",
        "redis",
        "clock",
        "mail",
    } <= checks
    assert "database file" in checks
    assert mail_server.messages() == []  # the SMTP check sends nothing


@pytest.mark.parametrize(
    ("env", "check"),
    [
        ({"AUTHGATE_SECRET": "changeme-changeme-changeme-changeme"}, "secret"),
        ({"AUTHGATE_SECRET": "a" * 40}, "secret"),
        ({"AUTHGATE_PUBLIC_URL": "http://auth.example.com"}, "public URL"),
        (
            {"AUTHGATE_PUBLIC_URL": "https://auth.example.com", "AUTHGATE_COOKIE_SECURE": "false"},
            "cookies",
        ),
        ({"AUTHGATE_ACCESS_TTL": "8d"}, "lifetimes"),
        ({"AUTHGATE_REDIS_URL": "redis://127.0.0.1:1"}, "redis"),
        ({"AUTHGATE_SMTP_URL": "smtp://user:hunter2@127.0.0.1:1"}, "mail"),
        ({"AUTHGATE_ALGORITHM": "NOPE"}, "settings"),
    ],
)
def test_each_problem_fails_with_its_fix(tmp_path: Path, env: dict[str, str], check: str) -> None:
    upgrade(tmp_path)
    result = doctor(tmp_path, **env)
    assert result.returncode == 1, result.stdout
    failed = lines(result, "FAIL")
    assert any(line.startswith(f"FAIL  {check}:") for line in failed), result.stdout
    assert "hunter2" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_an_old_schema_and_loose_file_modes_fail(tmp_path: Path) -> None:
    upgrade(tmp_path)
    import sqlite3

    with sqlite3.connect(tmp_path / "authgate.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    (tmp_path / "authgate.db").chmod(0o644)
    result = doctor(tmp_path)
    assert result.returncode == 1
    failed = "\n".join(lines(result, "FAIL"))
    assert "run `authgate db upgrade`" in failed
    assert "chmod 600" in failed


def test_key_files_readable_by_others_fail(tmp_path: Path) -> None:
    env = {"AUTHGATE_ALGORITHM": "EdDSA", "AUTHGATE_KEYS_DIR": str(tmp_path / "keys")}
    base = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    base.update(
        AUTHGATE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}",
        AUTHGATE_SECRET=STRONG,
        **env,
    )
    subprocess.run([AUTHGATE, "keys", "generate"], env=base, check=True, capture_output=True)
    upgrade(tmp_path)
    assert doctor(tmp_path, **env).returncode == 0
    for key in (tmp_path / "keys").glob("*.pem"):
        key.chmod(0o644)
    result = doctor(tmp_path, **env)
    assert result.returncode == 1
    assert any(line.startswith("FAIL  keys:") for line in lines(result, "FAIL"))


@pytest.mark.postgres
def test_postgres_reachability_and_clock(postgres_url: str, tmp_path: Path) -> None:
    upgrade(tmp_path, AUTHGATE_DATABASE_URL=postgres_url)
    result = doctor(tmp_path, AUTHGATE_DATABASE_URL=postgres_url)
    assert result.returncode == 0, result.stdout
    assert any(line.startswith("OK    clock: within") for line in lines(result, "OK"))
    down = doctor(tmp_path, AUTHGATE_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/test")
    assert down.returncode == 1
    assert any(line.startswith("FAIL  database:") for line in lines(down, "FAIL"))


def test_json_lines(tmp_path: Path) -> None:
    import json

    upgrade(tmp_path)
    result = doctor(tmp_path, "--json")
    findings = [json.loads(line) for line in result.stdout.splitlines()]
    assert {f["status"] for f in findings} <= {"ok", "warn", "fail"}
    assert all(set(f) == {"status", "check", "message"} for f in findings)
