"""A session's idle end in a column of its own, so that a refresh is a HOT update.

Each refresh renews its session's idle end. That end was ``sessions.expires_at``,
which ``ix_sessions_expires_at`` indexes for the purge: moving it made every
refresh write new entries into all three indexes of ``sessions`` (and, after each
checkpoint, whole index pages into PostgreSQL's WAL). The idle end now lives in
``idle_until``, which no index names, and ``expires_at`` becomes the time the row may
be purged: never before the idle end, moved ahead only when the idle end passes it,
and then a quarter of the session's remaining life beyond. A session refreshed every
few minutes touches the indexed column about once in 170 refreshes.

The column is nullable and has no default, which both backends add without
rewriting the table: a row written before this has no ``idle_until``, and its
``expires_at`` is still its idle end (the store reads ``idle_until`` or else
``expires_at``) until its next refresh writes both.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from authgate.storage.sql.tables import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("idle_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    # The idle end becomes the purge time again; a session kept a little longer than
    # its idle end (the slack above) is then listed until that later time.
    op.execute("UPDATE sessions SET expires_at = idle_until WHERE idle_until IS NOT NULL")
    op.drop_column("sessions", "idle_until")
