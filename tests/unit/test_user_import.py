"""Parsing an import file: each bad row reported by its line, the good ones kept."""

from __future__ import annotations

import json

import bcrypt
import pytest

from authgate.core.errors import ValidationFailed
from authgate.core.user_import import MAX_BCRYPT_COST, import_users, parse_users
from authgate.storage.memory import MemoryUsers

HASH_2A = bcrypt.hashpw(b"old password 1", bcrypt.gensalt(4, b"2a")).decode()
HASH_2B = bcrypt.hashpw(b"old password 2", bcrypt.gensalt(4, b"2b")).decode()
HASH_2Y = "$2y$" + HASH_2B[4:]


def jsonl(*rows: object) -> str:
    return "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows) + "\n"


def test_json_lines_rows_are_read_with_their_line_numbers() -> None:
    """Blank lines count as lines; every problem names the line it is on."""
    text = jsonl(
        {"email": "Ann@Example.com", "password_hash": HASH_2A},
        "",
        {"email": "bob@example.com", "hash": HASH_2Y},
        {"email": "not-an-email", "password_hash": HASH_2B},
        {"email": "carl@example.com", "password_hash": "plain text password"},
        {"email": "ann@example.COM", "password_hash": HASH_2B},
        "[1, 2]",
        "{broken",
        {"email": "dee@example.com"},
    )
    batch = parse_users(text)
    assert [(row.line, row.email_key) for row in batch.rows] == [
        (1, "ann@example.com"),
        (3, "bob@example.com"),
    ]
    problems = {problem.line: problem.reason for problem in batch.problems}
    assert sorted(problems) == [4, 5, 6, 7, 8, 9]
    assert "email" in problems[4]
    assert "bcrypt" in problems[5]
    assert problems[6] == "the same email as line 1"
    assert problems[7] == problems[8] == "not a JSON object"
    assert "password_hash" in problems[9]


def test_a_problem_never_echoes_the_hash() -> None:
    """Hashes are secrets too: reasons do not repeat them."""
    bad = "$2x$04$" + HASH_2A[7:]
    batch = parse_users(jsonl({"email": "a@example.com", "password_hash": bad}))
    assert batch.rows == ()
    assert HASH_2A[7:] not in batch.problems[0].reason


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        pytest.param(HASH_2A, True, id="2a-bcryptjs-go"),
        pytest.param(HASH_2B, True, id="2b"),
        pytest.param(HASH_2Y, True, id="2y-php"),
        pytest.param("$2x$04$" + HASH_2A[7:], False, id="2x-buggy-variant"),
        pytest.param("$2$04$" + HASH_2A[7:], False, id="2-original"),
        pytest.param(HASH_2A[:-1], False, id="truncated"),
        pytest.param(f"$2a${MAX_BCRYPT_COST + 1}$" + HASH_2A[7:], False, id="cost-too-high"),
        pytest.param("$2a$03$" + HASH_2A[7:], False, id="cost-too-low"),
        pytest.param("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", False, id="argon2"),
        pytest.param("5f4dcc3b5aa765d61d8327deb882cf99", False, id="md5"),
    ],
)
def test_only_bcrypt_hashes_are_importable(value: str, accepted: bool) -> None:
    """$2a$, $2b$, $2y$ at a sane cost; everything else is reported."""
    batch = parse_users(jsonl({"email": "a@example.com", "password_hash": value}))
    assert len(batch.rows) == int(accepted)


def test_csv_with_a_header_in_any_column_order() -> None:
    """The header names the columns; extra columns are ignored."""
    text = f"id,password_hash,Email\n1,{HASH_2A},ann@example.com\n2,{HASH_2B},bob@example.com\n"
    batch = parse_users(text, format="csv")
    assert [(r.line, r.email, r.password_hash) for r in batch.rows] == [
        (2, "ann@example.com", HASH_2A),
        (3, "bob@example.com", HASH_2B),
    ]


def test_csv_without_a_header_is_email_then_hash() -> None:
    """Two bare columns need no header; a short row is reported."""
    text = f"ann@example.com,{HASH_2A}\nbob@example.com\n\ncarl@example.com,{HASH_2B}\n"
    batch = parse_users(text)
    assert [r.line for r in batch.rows] == [1, 4]
    assert [(p.line, p.reason) for p in batch.problems] == [(2, "too few columns")]


def test_csv_whose_header_names_no_email_column_is_refused_whole() -> None:
    """A file the import cannot understand at all stops it, naming why."""
    with pytest.raises(ValidationFailed, match="header"):
        parse_users("name,secret\nann,x\n", format="csv")


async def test_good_rows_are_stored_and_registered_emails_skipped() -> None:
    """An email already registered is reported with its line, the others imported."""
    users = MemoryUsers()
    first = parse_users(jsonl({"email": "ann@example.com", "password_hash": HASH_2A}))
    assert (await import_users(users, first, now=1_800_000_000)).imported == 1
    second = parse_users(
        jsonl(
            {"email": "bob@example.com", "password_hash": HASH_2B},
            {"email": "ANN@example.com", "password_hash": HASH_2B},
        )
    )
    result = await import_users(users, second, now=1_800_000_000)
    assert result.imported == 1
    assert [(p.line, p.reason) for p in result.problems] == [
        (2, "this email is registered already")
    ]
    stored = await users.by_email("bob@example.com")
    assert stored is not None and stored.password_hash == HASH_2B
