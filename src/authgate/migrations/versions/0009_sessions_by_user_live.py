"""A user's live sessions found without reading the ended ones.

Every login ends the sessions beyond a user's newest hundred, and the sessions page
lists the live ones. Both found them through ``ix_sessions_user_id``, which holds
every session of the user, ended ones included, until the purge: an account that
signs in often (a script, a kiosk, a test user) read thousands of ended rows on each
login to find its few live ones (2.3 ms at 20,000 on SQLite, 2.9 ms on PostgreSQL).

``ix_sessions_user_live`` indexes ``(user_id, revoked_at, created_at, id)`` instead.
``user_id = ? AND revoked_at IS NULL`` is then a range of the index holding the live
sessions alone, newest last, whatever plan the database picks: a partial index of
the live rows was tried first, and PostgreSQL's planner, which takes the share of
live sessions to be the same for every user, chose to read them all through the old
index. The new index also serves what the old one did (the user's rows when the
user is deleted), so it replaces it.

A refresh changes none of its columns, so on PostgreSQL it stays a HOT update.
Ending a session moves its entry, once.

Building it reads the whole ``sessions`` table; writes to it wait meanwhile (in the
migration's transaction, like every other): 5 to 8 s on either backend at five
million sessions (docs/deploy.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_sessions_user_live", "sessions", ["user_id", "revoked_at", "created_at", "id"]
    )
    op.drop_index("ix_sessions_user_id", table_name="sessions")


def downgrade() -> None:
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.drop_index("ix_sessions_user_live", table_name="sessions")
