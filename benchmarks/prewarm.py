"""Read a database's hot data into memory before a measurement (``growth.py
--prewarm``), as a deployment sized for its data would hold it: on PostgreSQL the tables
a refresh uses and their indexes, into shared buffers (``pg_prewarm``); an SQLite file,
into the OS page cache (which a VM's host may take back within minutes). And tell how
much of it the OS page cache holds (:func:`cached`), before every measurement."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path


def prewarm(url: str) -> str:
    """Read the database at SQLAlchemy ``url`` into memory; what was read, how fast."""
    if url.startswith("sqlite"):
        return _page_cache(Path(url.split("///", 1)[1]))
    return asyncio.run(_shared_buffers(url))


#: The tables a refresh reads and writes: ``--prewarm`` loads them and their indexes.
HOT_TABLES = ("users", "sessions", "refresh_tokens")
#: Those tables (``$1``) and their indexes.
HOT_RELATIONS = """
FROM pg_class c
WHERE c.oid = ANY($1::regclass[])
   OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = ANY($1::regclass[]))
"""
PREWARM = "SELECT c.oid::regclass::text, pg_prewarm(c.oid), pg_relation_size(c.oid)" + HOT_RELATIONS


async def _shared_buffers(url: str) -> str:
    """Read the hot tables and their indexes into PostgreSQL's shared buffers
    (``pg_prewarm``); what was read, against the size of the buffers."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", "", 1))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        started = time.perf_counter()
        rows = await conn.fetch(PREWARM, list(HOT_TABLES))
        took = time.perf_counter() - started
        buffers = await conn.fetchval("SHOW shared_buffers")
    finally:
        await conn.close()
    size = sum(row[2] for row in rows) / 2**20
    return f"{len(rows)} relations, {size:,.0f} MB in {took:.1f} s; shared_buffers {buffers}"


def _page_cache(path: Path) -> str:
    """Read an SQLite file from end to end, so that the OS page cache holds it."""
    started = time.perf_counter()
    chunk = bytearray(1 << 20)
    with path.open("rb", buffering=0) as file:
        while file.readinto(chunk):
            pass
    took = time.perf_counter() - started
    return f"the file, {path.stat().st_size / 2**20:,.0f} MB in {took:.1f} s"


def cached(url: str) -> str:
    """How much of the database's files the OS page cache holds: an SQLite file and
    its WAL, or the files of PostgreSQL's hot tables and their indexes (read where the
    server keeps them, so as root or its owner). Linux, with util-linux's ``fincore``;
    else "unknown"."""
    if shutil.which("fincore") is None:
        return "unknown (no fincore)"
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        files = [path, path.with_name(path.name + "-wal")]
    else:
        files = asyncio.run(_relation_files(url))
    try:
        files = [file for file in files if file.is_file()]
        resident = sum(_resident_bytes(file) for file in files)
        size = sum(file.stat().st_size for file in files)
    except (OSError, subprocess.CalledProcessError):
        return "unknown (the files cannot be read here)"
    if not files:
        return "unknown (no such files)"
    if size < 2**30:
        return f"{resident / 2**20:,.0f} of {size / 2**20:,.0f} MB"
    return f"{resident / 2**30:.1f} of {size / 2**30:.1f} GB"


def _resident_bytes(file: Path) -> int:
    done = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", str(file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip() or 0)


RELATION_FILES = (
    "SELECT current_setting('data_directory') || '/' || pg_relation_filepath(c.oid)" + HOT_RELATIONS
)


async def _relation_files(url: str) -> list[Path]:
    """The hot relations' files, every 1 GB segment of each."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", "", 1))
    try:
        rows = await conn.fetch(RELATION_FILES, list(HOT_TABLES))
    finally:
        await conn.close()
    files: list[Path] = []
    for (first,) in rows:
        base = Path(first)
        files.extend([base, *sorted(base.parent.glob(f"{base.name}.[0-9]*"))])
    return files
