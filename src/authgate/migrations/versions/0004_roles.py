"""Roles (API.md §4 ``roles``, §5 ``authgate user role``): a user's roles, space-separated.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("roles", sa.String(255), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("users", "roles")
