"""Files at rest: the generated secret and the SQLite database (password hashes, emails)."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from authgate.core.errors import ConfigurationError
from authgate.core.models import Revocation
from authgate.core.settings import MIN_SECRET_BYTES, Settings
from authgate.storage.keyfiles import SECRET_FILE, load_or_create_secret
from authgate.storage.sql import Database, SqlRevocationStore


def _settings(directory: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{directory / 'authgate.db'}")


def _start(directory: str, barrier: multiprocessing.synchronize.Barrier, results: object) -> None:
    barrier.wait()
    try:
        secret = load_or_create_secret(_settings(Path(directory)))
        results.put(("ok", secret))  # type: ignore[attr-defined]
    except ConfigurationError as exc:
        results.put(("failed", str(exc)))  # type: ignore[attr-defined]


def test_instances_starting_together_never_read_a_half_written_secret(tmp_path: Path) -> None:
    """Three processes starting at once on a fresh directory all get the one secret
    (one of them read the file between its creation and its write: 82 of 150 failed)."""
    context = multiprocessing.get_context("fork")
    for trial in range(150):
        directory = tmp_path / str(trial)
        directory.mkdir()
        barrier = context.Barrier(3)
        results = context.Queue()
        processes = [
            context.Process(target=_start, args=(str(directory), barrier, results))
            for _ in range(3)
        ]
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=30) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert all(kind == "ok" for kind, _ in outcomes), outcomes
        assert len({secret for _, secret in outcomes}) == 1
        assert len(outcomes[0][1]) >= MIN_SECRET_BYTES


def test_a_crash_while_writing_the_secret_leaves_no_empty_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start that dies while writing the new secret does not leave an empty secret
    file behind that keeps every later start from working."""

    def crash(*args: object, **kwargs: object) -> object:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fdopen", crash)
        with pytest.raises((ConfigurationError, OSError)):
            load_or_create_secret(_settings(tmp_path))
    assert not (tmp_path / SECRET_FILE).exists()
    assert len(load_or_create_secret(_settings(tmp_path))) >= MIN_SECRET_BYTES
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_sqlite_database_and_its_wal_are_private(tmp_path: Path) -> None:
    """The database file and its -wal and -shm companions are 0600 whatever the umask
    (they were 0644: any local user could read the password hashes)."""
    old_umask = os.umask(0o022)
    try:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
        try:
            await db.upgrade()
            revocation = Revocation(kind="jti", subject="x", cutoff=0, expires_at=1)
            await SqlRevocationStore(db).add(revocation, recorded_at=1)
            files = sorted(tmp_path.iterdir())
            assert {p.name for p in files} >= {"a.db", "a.db-wal", "a.db-shm"}
            assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        finally:
            await db.dispose()
    finally:
        os.umask(old_umask)


async def test_a_readable_database_left_by_an_older_version_is_made_private(
    tmp_path: Path,
) -> None:
    """An existing database file readable by others is made 0600 at start."""
    path = tmp_path / "old.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.dispose()
    assert _mode(path) == 0o600
