"""Security events (API.md §3.3), and an index for the admin's search by email prefix.

``events`` is append-only: each row is written in the transaction of what it records
and removed only by the retention pruning (AUTHGATE_EVENTS_RETENTION). ``user_id`` is
not a foreign key: an account's events outlive its deletion until they are pruned.

On PostgreSQL the prefix search compares ``email_key`` in byte order (``COLLATE
"C"``), which an index on that expression serves whatever the database's collation;
SQLite's own index on ``email_key`` is already in byte order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from authgate.storage.sql.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("actor_id", sa.String(36), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=False, server_default=""),
        sa.Column("detail", sa.Text(), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_user_id", "events", ["user_id", "id"])
    op.create_index("ix_events_type", "events", ["type", "id"])
    op.create_index("ix_events_at", "events", ["at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_users_email_key_bytes ON users ((email_key COLLATE "C"))')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_users_email_key_bytes", table_name="users")
    op.drop_index("ix_events_at", table_name="events")
    op.drop_index("ix_events_type", table_name="events")
    op.drop_index("ix_events_user_id", table_name="events")
    op.drop_table("events")
