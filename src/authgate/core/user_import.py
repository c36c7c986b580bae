"""Bringing users over from another app (API.md §5, ``authgate user import``).

The input is JSON lines (``{"email": ..., "password_hash": ...}``) or CSV (a header
naming ``email`` and the hash column, or two bare columns). Each row is checked on
its own: a valid email, a bcrypt hash as bcryptjs, Go's x/crypto/bcrypt, PHP or
Ruby write it (``$2a$``, ``$2b$``, ``$2y$``), no earlier row with the same email.
A bad row is reported with its line number and skipped; the good rows are then
stored in one transaction, all or none (:func:`import_users`). The imported users
log in with their old passwords, which are re-hashed to Argon2id at that first
login (:class:`authgate.core.passwords.Passwords`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from authgate.core.emails import normalize_email
from authgate.core.errors import ValidationFailed
from authgate.core.models import User
from authgate.core.passwords import MAX_BCRYPT_COST
from authgate.core.ports import UserStore

if TYPE_CHECKING:
    from authgate.core.events import EventLog

Format = Literal["auto", "jsonl", "csv"]

#: ``$2x$`` (the buggy crypt_blowfish variant) is refused; ``$2y$`` equals ``$2b$``.
_BCRYPT = re.compile(r"^\$2[aby]\$(?P<cost>\d\d)\$[./A-Za-z0-9]{53}$")
_EMAIL_FIELDS = ("email", "mail", "username")
_HASH_FIELDS = (
    "password_hash",
    "hash",
    "password",
    "passwordhash",
    "password_digest",
    "encrypted_password",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportRow:
    """A good row: where it was, the normalised email, its lookup key, the hash."""

    line: int
    email: str
    email_key: str
    password_hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RowProblem:
    """A skipped row and why (never echoing the hash)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportBatch:
    rows: tuple[ImportRow, ...]
    problems: tuple[RowProblem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    imported: int
    problems: tuple[RowProblem, ...]


def check_bcrypt_hash(value: str) -> str | None:
    """Why ``value`` is not an importable bcrypt hash, or None if it is."""
    match = _BCRYPT.match(value)
    if match is None:
        return "not a bcrypt hash ($2a$, $2b$ or $2y$, as bcryptjs and Go's bcrypt write)"
    cost = int(match["cost"])
    if not 4 <= cost <= MAX_BCRYPT_COST:
        return (
            f"bcrypt cost {cost} is outside 4 to {MAX_BCRYPT_COST} (a costlier hash would "
            "stall other logins and set failed logins apart by their time; ask the user "
            "to reset their password instead)"
        )
    return None


def parse_users(text: str, *, format: Format = "auto") -> ImportBatch:
    """Check every row of an import file.

    Raises:
        ValidationFailed: the file as a whole is unusable (say, a CSV header with
            no email column); bad rows are reported in the batch instead.
    """
    if format == "auto":
        format = "jsonl" if text.lstrip().startswith("{") else "csv"
    records = _jsonl_records(text) if format == "jsonl" else _csv_records(text)
    rows: list[ImportRow] = []
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    for line, fields in records:
        if isinstance(fields, str):
            problems.append(RowProblem(line=line, reason=fields))
            continue
        email, password_hash = fields
        reason = check_bcrypt_hash(password_hash)
        try:
            display, key = normalize_email(email)
        except ValidationFailed as exc:
            reason = exc.reason
        else:
            if reason is None and key in first_line:
                reason = f"the same email as line {first_line[key]}"
        if reason is not None:
            problems.append(RowProblem(line=line, reason=reason))
            continue
        first_line[key] = line
        rows.append(ImportRow(line=line, email=display, email_key=key, password_hash=password_hash))
    return ImportBatch(rows=tuple(rows), problems=tuple(problems))


Fields = tuple[str, str] | str  # (email, hash), or why the row cannot be read


def _pick(record: dict[str, object], names: tuple[str, ...]) -> str | None:
    lowered = {str(k).strip().lower(): v for k, v in record.items()}
    for name in names:
        value = lowered.get(name)
        if isinstance(value, str):
            return value.strip()
    return None


def _jsonl_records(text: str) -> Iterator[tuple[int, Fields]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            yield line, "not a JSON object"
            continue
        if not isinstance(record, dict):
            yield line, "not a JSON object"
            continue
        email, password_hash = _pick(record, _EMAIL_FIELDS), _pick(record, _HASH_FIELDS)
        if email is None or password_hash is None:
            yield line, 'needs "email" and "password_hash" strings'
        else:
            yield line, (email, password_hash)


def _csv_records(text: str) -> Iterator[tuple[int, Fields]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: tuple[int, int] | None = None
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = _header(row)
                if columns is not None:
                    continue  # it was the header
                columns = (0, 1)
            if len(row) <= max(columns):
                yield line, "too few columns"
            else:
                yield line, (row[columns[0]].strip(), row[columns[1]].strip())
    except csv.Error as exc:
        raise ValidationFailed(f"line {reader.line_num}: not CSV ({exc})") from None


def _header(row: list[str]) -> tuple[int, int] | None:
    """The (email, hash) column numbers if ``row`` is a header, else None."""
    names = [cell.strip().lower() for cell in row]
    email = next((names.index(n) for n in _EMAIL_FIELDS if n in names), None)
    password_hash = next((names.index(n) for n in _HASH_FIELDS if n in names), None)
    if email is not None and password_hash is not None:
        return email, password_hash
    if any("@" in name or name.startswith("$2") for name in names):
        return None  # a headerless first row of data
    raise ValidationFailed(f"the CSV header {row!r} names no email and password_hash columns")


async def import_users(
    users: UserStore,
    batch: ImportBatch,
    *,
    now: float,
    dry_run: bool = False,
    events: EventLog | None = None,
) -> ImportResult:
    """Store the good rows of a batch, all in one transaction; report the rest.

    Rows whose email is registered already are skipped and reported. With
    ``dry_run`` nothing is stored and the result says what a real run would do.
    Each imported user gets its ``registered`` event in ``events``, kept in a
    transaction of its own once the users are stored.

    Raises:
        EmailTaken: an email was registered while importing (nothing was stored).
    """
    created_at = datetime.fromtimestamp(now, UTC)
    new_users = [
        (
            User(
                id=str(uuid.uuid4()),
                email=row.email,
                password_hash=row.password_hash,
                created_at=created_at,
            ),
            row.email_key,
        )
        for row in batch.rows
    ]
    if dry_run:
        taken = await users.taken([key for _, key in new_users])
    else:
        taken = await users.add_many(new_users)
        if events is not None:
            for user, key in new_users:
                if key not in taken:
                    events.note("registered", user.id)
            await events.flush()
    problems = [*batch.problems]
    problems += [
        RowProblem(line=row.line, reason="this email is registered already")
        for row in batch.rows
        if row.email_key in taken
    ]
    problems.sort(key=lambda problem: problem.line)
    return ImportResult(imported=len(batch.rows) - len(taken), problems=tuple(problems))
