"""Room on each page for a row's next version: ``fillfactor`` 85 on PostgreSQL.

A refresh updates its session row and retires its refresh-token row. PostgreSQL can
write such an update on the same page without touching the indexes (a HOT update)
only if that page has room: with tables packed full, every refresh wrote new index
entries and, after each checkpoint, whole pages to the WAL. At a million users this
was 52 KB of WAL per refresh, with no HOT update (docs/performance.md, Growth).
Leaving 15 % of each page free makes the refresh token's retirement HOT, and puts the
session's next version on its own page (not HOT: ``expires_at`` is indexed, and moves).
With the tables rewritten so, a million users' refresh wrote 30 KB of WAL.

It applies to pages written from now on; existing rows move to such pages as they
are updated, or all at once with ``VACUUM FULL`` (which locks the table) or
``pg_repack`` in a quiet hour. SQLite has no such setting: nothing changes there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("sessions", "refresh_tokens")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
