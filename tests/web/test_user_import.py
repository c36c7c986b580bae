"""``authgate user import``: imported users log in with their old passwords, once
re-hashed to Argon2id; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest
from typer.testing import CliRunner

from authgate.cli import app as cli
from authgate.core.errors import EmailTaken
from authgate.core.models import User
from authgate.core.user_import import import_users, parse_users
from tests.conftest import SECRET

OLD = "the password from the old app"
LONG = "correct horse battery staple, " * 3 + "and then some"  # 103 bytes: bcrypt reads 72


def old_hash(password: str, prefix: bytes = b"2a") -> str:
    """A hash as the old app stored it (bcrypt reads only the first 72 bytes)."""
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(4, prefix)).decode()


async def test_imported_users_log_in_and_their_hash_becomes_argon2id(
    app_factory: Callable[..., Any],
) -> None:
    """Old password works; the stored hash is Argon2id afterwards; the next login works too."""
    app, gate = await app_factory()
    hashes = {"ann@example.com": old_hash(OLD), "bob@example.com": "$2y$" + old_hash(OLD)[4:]}
    text = "".join(json.dumps({"email": e, "password_hash": h}) + "\n" for e, h in hashes.items())
    result = await import_users(gate.runtime.users, parse_users(text), now=gate.service.clock())
    assert result.imported == 2 and result.problems == ()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        for email in hashes:
            wrong = await client.post("/auth/login", json={"email": email, "password": OLD + "!"})
            assert wrong.status_code == 401
            user = await gate.runtime.users.by_email(email)
            assert user.password_hash == hashes[email]
            for _ in range(2):
                answer = await client.post("/auth/login", json={"email": email, "password": OLD})
                assert answer.status_code == 200, answer.text
                user = await gate.runtime.users.by_email(email)
                assert user.password_hash.startswith("$argon2id$")


async def test_a_password_longer_than_72_bytes_works_and_is_then_checked_whole(
    app_factory: Callable[..., Any],
) -> None:
    """bcryptjs hashed only 72 bytes; after the upgrade the whole password counts."""
    app, gate = await app_factory()
    line = json.dumps({"email": "long@example.com", "password_hash": old_hash(LONG)})
    await import_users(gate.runtime.users, parse_users(line), now=gate.service.clock())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:

        async def status(password: str) -> int:
            body = {"email": "long@example.com", "password": password}
            return (await client.post("/auth/login", json=body)).status_code

        assert await status(LONG) == 200
        assert await status(LONG[:72] + "something else") == 401  # Argon2id now: all bytes
        assert await status(LONG) == 200


async def test_the_sql_bulk_insert_stores_all_good_rows_or_none(
    app_factory: Callable[..., Any],
) -> None:
    """If the database refuses one row (a race on an email), no row of the batch stays."""
    _, gate = await app_factory()
    now = datetime.now(UTC)

    def user(email: str) -> tuple[User, str]:
        made = User(id=str(uuid.uuid4()), email=email, password_hash=old_hash(OLD), created_at=now)
        return made, email

    with pytest.raises(EmailTaken):
        await gate.runtime.users.add_many(
            [user("first@example.com"), user("race@example.com"), user("race@example.com")]
        )
    assert await gate.runtime.users.by_email("first@example.com") is None
    taken = await gate.runtime.users.add_many([user("first@example.com")])
    assert taken == set()
    assert await gate.runtime.users.add_many([user("first@example.com")]) == {"first@example.com"}


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Callable[..., Any]:
    monkeypatch.setenv("AUTHGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("AUTHGATE_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args))

    return invoke


def test_the_command_reports_bad_rows_by_line_and_imports_the_rest(
    cli_env: Callable[..., Any], tmp_path: Path
) -> None:
    """Bad rows go to stderr with their line; exit status 1; the good rows are in."""
    path = tmp_path / "users.csv"
    path.write_text(
        "email,password_hash\n"
        f"ann@example.com,{old_hash(OLD)}\n"
        "not an email,$2a$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n"
        f"bob@example.com,{old_hash(OLD, b'2b')}\n"
        f"ANN@example.com,{old_hash(OLD)}\n"
        "carl@example.com,md5:5f4dcc3b5aa765d61d8327deb882cf99\n"
    )
    result = cli_env("user", "import", str(path))
    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == "imported 2 users; skipped 3 rows"
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ")[1] for line in lines] == ["line 3", "line 5", "line 6"]
    assert "Traceback" not in result.output
    listed = cli_env("user", "list", "--json")
    emails = sorted(json.loads(line)["email"] for line in listed.stdout.splitlines())
    assert emails == ["ann@example.com", "bob@example.com"]
    again = cli_env("user", "import", str(path))
    assert "imported 0 users; skipped 5 rows" in again.stdout
    assert "line 2: this email is registered already" in again.stderr
    # each imported user has its `registered` event, as a registration; none for a skip
    audit = cli_env("audit", "--type", "registered", "--json")
    assert audit.exit_code == 0, audit.output
    registered = [json.loads(line) for line in audit.stdout.splitlines()]
    assert len(registered) == 2, registered
    ids = {json.loads(line)["id"] for line in listed.stdout.splitlines()}
    assert {event["user_id"] for event in registered} == ids


def test_a_dry_run_stores_nothing_and_predicts_the_real_run(
    cli_env: Callable[..., Any], tmp_path: Path
) -> None:
    """--dry-run checks the rows against the database too (emails registered
    already) and says what a real run would do, storing nothing."""
    path = tmp_path / "users.jsonl"
    path.write_text(json.dumps({"email": "ann@example.com", "password_hash": old_hash(OLD)}))
    result = cli_env("user", "import", "--dry-run", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "would import 1 users; skipped 0 rows"
    assert cli_env("user", "list", "--json").stdout.strip() == ""

    assert cli_env("user", "import", str(path)).exit_code == 0
    with path.open("a") as more:
        more.write("\n" + json.dumps({"email": "bob@example.com", "password_hash": old_hash(OLD)}))
    again = cli_env("user", "import", "--dry-run", str(path))
    assert again.exit_code == 1, again.output
    assert again.stdout.strip() == "would import 1 users; skipped 1 rows"
    assert "line 1: this email is registered already" in again.stderr
    listed = cli_env("user", "list", "--json").stdout.splitlines()
    assert [json.loads(line)["email"] for line in listed] == ["ann@example.com"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "cannot read", id="missing-file"),
        pytest.param(b"\xff\xfe\x00bad", "not UTF-8", id="not-utf8"),
        pytest.param(b"name,secret\nann,x\n", "header", id="no-email-column"),
    ],
)
def test_an_unusable_file_is_one_line_on_stderr(
    cli_env: Callable[..., Any], tmp_path: Path, content: bytes | None, message: str
) -> None:
    """No traceback: one clear line and a non-zero status."""
    path = tmp_path / "users.csv"
    if content is not None:
        path.write_bytes(content)
    result = cli_env("user", "import", str(path))
    assert result.exit_code != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
