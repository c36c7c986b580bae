"""Read a database's hot data into memory before a measurement (``growth.py
--prewarm``), as a deployment sized for its data would hold it: on PostgreSQL the tables
a refresh uses and their indexes, into shared buffers (``pg_prewarm``); an SQLite file,
into the OS page cache (which a VM's host may take back within minutes)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path


def prewarm(url: str) -> str:
    """Read the database at SQLAlchemy ``url`` into memory; what was read, how fast."""
    if url.startswith("sqlite"):
        return _page_cache(Path(url.split("///", 1)[1]))
    return asyncio.run(_shared_buffers(url))


#: The tables a refresh reads and writes: ``--prewarm`` loads them and their indexes.
HOT_TABLES = ("users", "sessions", "refresh_tokens")
PREWARM = """
SELECT c.oid::regclass::text, pg_prewarm(c.oid), pg_relation_size(c.oid)
FROM pg_class c
WHERE c.oid = ANY($1::regclass[])
   OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = ANY($1::regclass[]))
"""


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
