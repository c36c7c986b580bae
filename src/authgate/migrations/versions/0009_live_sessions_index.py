"""An index of each user's live sessions, newest first.

Every login ends the sessions beyond a user's newest hundred, and the sessions page
lists the live ones. Both looked them up through ``ix_sessions_user_id``, which also
holds every ended session still kept for the purge: an account that signs in often
(a script, a kiosk, a test user) read thousands of ended rows on each login to find
its few live ones. ``ix_sessions_live`` holds only the rows with no ``revoked_at``
(a partial index, on both backends), in ``created_at`` order, so those queries read
the live sessions alone and in the order they want.

A refresh changes none of its columns, so on PostgreSQL it stays a HOT update. Ending
a session moves it out of this index, once.

Building it reads the whole ``sessions`` table once and, on PostgreSQL, holds back
writes to it while it does (in the migration's transaction, like every other): a
few seconds at millions of sessions (docs/performance.md, Growth).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LIVE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_sessions_live",
        "sessions",
        ["user_id", "created_at", "id"],
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_sessions_live", table_name="sessions")
