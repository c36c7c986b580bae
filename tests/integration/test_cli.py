"""The command line: users, tokens, the database, and one-line failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from authgate.storage.sql.database import SCHEMA_HEAD
from tests.integration.conftest import AUTHGATE, free_port, server_env

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def cli(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AUTHGATE, *args],
        input=stdin,
        env=server_env(tmp_path, **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_user_create_list_disable(tmp_path: Path) -> None:
    """Create with the password on stdin, list, disable; errors are one line."""
    created = cli(
        tmp_path, "user", "create", "Ops@Example.com", "--password-stdin", stdin="a long password\n"
    )
    assert created.returncode == 0, created.stderr
    assert "Ops@example.com" in created.stdout
    again = cli(
        tmp_path, "user", "create", "ops@example.com", "--password-stdin", stdin="a long password\n"
    )
    assert again.returncode != 0
    assert again.stderr.count("\n") == 1 and "email_taken" in again.stderr
    short = cli(tmp_path, "user", "create", "x@example.com", "--password-stdin", stdin="short\n")
    assert short.returncode != 0 and "Traceback" not in short.stderr
    listed = cli(tmp_path, "user", "list")
    assert "Ops@example.com" in listed.stdout and "active" in listed.stdout
    assert cli(tmp_path, "user", "disable", "OPS@example.com").returncode == 0
    assert "disabled" in cli(tmp_path, "user", "list").stdout
    unknown = cli(tmp_path, "user", "disable", "nobody@example.com")
    assert unknown.returncode != 0 and unknown.stderr.count("\n") == 1


def test_a_command_line_that_does_not_parse_is_one_line(tmp_path: Path) -> None:
    """The installed command too: a missing argument is one line, exit status 2."""
    result = cli(tmp_path, "user", "role", "ops@example.com")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: Missing argument 'action' (see 'authgate user role --help')"
    ]


@pytest.mark.parametrize(
    ("backend", "count"),
    [
        pytest.param("sqlite", 100_001, id="sqlite"),
        pytest.param("postgres", 5_001, id="postgres", marks=pytest.mark.postgres),
    ],
)
def test_user_list_lists_every_user(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str, count: int
) -> None:
    """All of them, oldest first, read a batch at a time: the list stopped at 100,000
    without a word. (PostgreSQL: fewer rows, enough for several batches of its cursor.)"""
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'many.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    seed = [str(ROOT / "benchmarks" / "seed.py"), url, f"--users={count}"]
    seeded = subprocess.run(
        [sys.executable, *seed, "--sessions=0", "--events=0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    listed = cli(tmp_path, "user", "list", "--json", AUTHGATE_DATABASE_URL=url)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == len({row["id"] for row in rows}) == count
    assert [row["created_at"] for row in rows] == sorted(row["created_at"] for row in rows)


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    """`db upgrade` creates the schema and is a no-op the second time."""
    for _ in range(2):
        result = cli(tmp_path, "db", "upgrade")
        assert result.returncode == 0, result.stderr
        assert f"revision {SCHEMA_HEAD}" in result.stdout


@pytest.mark.postgres
def test_db_upgrade_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """The same migration on PostgreSQL."""
    result = cli(tmp_path, "db", "upgrade", AUTHGATE_DATABASE_URL=postgres_url)
    assert result.returncode == 0, result.stderr


def test_token_decode(tmp_path: Path) -> None:
    """decode shows header, claims, readable times, and whether it verifies here."""
    import time

    from authgate.core.keys import KeyRing
    from authgate.core.tokens import AccessTokens
    from tests.conftest import SECRET

    tokens = AccessTokens(KeyRing.hmac(SECRET.encode()), ttl=900)
    token, _ = tokens.issue(user_id="u1", email="a@example.com", session_id=None, now=time.time())
    result = cli(tmp_path, "token", "decode", token)
    assert result.returncode == 0, result.stderr
    assert '"alg": "HS256"' in result.stdout
    assert "UTC" in result.stdout and "time left" in result.stdout
    assert "verifies here: yes" in result.stdout
    other = cli(tmp_path, "token", "decode", token, AUTHGATE_SECRET="another-secret-" * 3)
    assert other.returncode != 0
    assert "verifies here: no (token_invalid" in other.stdout
    garbage = cli(tmp_path, "token", "decode", "garbage")
    assert garbage.returncode != 0 and garbage.stderr.count("\n") == 1


def test_token_decode_of_impossible_times(tmp_path: Path) -> None:
    """NaN and infinite times (which Python's JSON reads) are shown as such: no
    traceback, and the token does not verify."""
    from tests.helpers import b64url

    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    for claims in (b'{"sub":"x","exp":NaN}', b'{"sub":"x","exp":1e400,"iat":-Infinity}'):
        result = cli(tmp_path, "token", "decode", f"{header}.{b64url(claims)}.c2ln")
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "out of the calendar's range" in result.stdout
        assert "verifies here: no" in result.stdout


def test_serve_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    """A port in use (or a host that does not resolve) is one line before start-up,
    not uvicorn's start-up and shut-down log."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli(tmp_path, "serve", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    nowhere = cli(tmp_path, "serve", "--host", "no-such-host.invalid", "--port", "8000")
    assert nowhere.returncode == 1
    assert nowhere.stderr.strip().splitlines()[-1].startswith("error: --host no-such-host.invalid")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        pytest.param({"AUTHGATE_SECRET": "short"}, "AUTHGATE_SECRET", id="short-secret"),
        pytest.param({"AUTHGATE_ALGORITHM": "HS999"}, "AUTHGATE_ALGORITHM", id="algorithm"),
        pytest.param(
            {"AUTHGATE_LIMIT_LOGIN_ACCOUNT": "lots"}, "AUTHGATE_LIMIT_LOGIN_ACCOUNT", id="limit"
        ),
        pytest.param(
            {"AUTHGATE_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
            "AUTHGATE_DATABASE_URL",
            id="unreachable-database",
        ),
        pytest.param(
            {"AUTHGATE_LIMIT_LOGIN_ADDRESS": "10 per minute; 0 per hour"},
            "AUTHGATE_LIMIT_LOGIN_ADDRESS",
            id="limit-allowing-nothing",
        ),
        pytest.param(
            {"AUTHGATE_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1:abc/x"},
            "AUTHGATE_DATABASE_URL",
            id="database-port",
        ),
        pytest.param(
            {"AUTHGATE_REDIS_URL": "redis://127.0.0.1:99999/0"},
            "AUTHGATE_REDIS_URL",
            id="redis-port",
        ),
        pytest.param({"AUTHGATE_REFRESH_TTL": "3000000d"}, "AUTHGATE_REFRESH_TTL", id="ttl"),
        pytest.param(
            {"AUTHGATE_METRICS_ALLOW": "10.0.0.0/8, intranet"},
            "AUTHGATE_METRICS_ALLOW",
            id="metrics-allow",
        ),
        pytest.param(
            {"AUTHGATE_MAIL_TEMPLATES": "/nonexistent/templates"},
            "AUTHGATE_MAIL_TEMPLATES",
            id="mail-templates",
        ),
    ],
)
def test_bad_configuration_stops_serve_with_one_line(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    """serve refuses to start half-configured: one line naming the variable, exit 2."""
    result = cli(tmp_path, "serve", "--port", str(free_port()), **env)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {variable}: ")
    assert "Traceback" not in result.stderr


def test_workers_need_redis(tmp_path: Path) -> None:
    """--workers 2 without AUTHGATE_REDIS_URL is refused with one line."""
    result = cli(tmp_path, "serve", "--workers", "2", "--port", str(free_port()))
    assert result.returncode == 2
    assert "AUTHGATE_REDIS_URL" in result.stderr
