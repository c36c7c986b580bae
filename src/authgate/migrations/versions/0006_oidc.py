"""authgate as an OpenID Provider (API.md §3.4): clients, authorization codes, the
sessions a client holds, and the consents users gave; and the identities at other
providers (AUTHGATE_OIDC_PROVIDERS) that sign users in.

A client's secret is stored only as SHA-256 (it is 256 random bits); a code only as
SHA-256, single-use, 60 s. ``oauth_sessions`` ties an ordinary session to the client
it was issued to (its refresh tokens are refused to any other client).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from authgate.core.emails import MAX_EMAIL_CHARS
from authgate.storage.sql.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.partition(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_{table}_{column}_{referred}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "oauth_clients",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("first_party", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_clients"),
    )
    op.create_table(
        "oauth_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("nonce", sa.String(512), nullable=True),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("auth_time", sa.BigInteger(), nullable=False),
        sa.Column("amr", sa.String(32), nullable=False),
        sa.Column("origin_jti", sa.String(64), nullable=False),
        sa.Column("origin_session", sa.String(36), nullable=True),
        sa.Column("origin_iat", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("session_id", sa.String(36), nullable=True),
        _fk("oauth_codes", "client_id", "oauth_clients.id"),
        _fk("oauth_codes", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("code_hash", name="pk_oauth_codes"),
    )
    op.create_index("ix_oauth_codes_client_id", "oauth_codes", ["client_id"])
    op.create_index("ix_oauth_codes_expires_at", "oauth_codes", ["expires_at"])
    op.create_table(
        "oauth_sessions",
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        _fk("oauth_sessions", "session_id", "sessions.id"),
        _fk("oauth_sessions", "client_id", "oauth_clients.id"),
        sa.PrimaryKeyConstraint("session_id", name="pk_oauth_sessions"),
    )
    op.create_index("ix_oauth_sessions_client_id", "oauth_sessions", ["client_id"])
    op.create_table(
        "oauth_consents",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _fk("oauth_consents", "user_id", "users.id"),
        _fk("oauth_consents", "client_id", "oauth_clients.id"),
        sa.PrimaryKeyConstraint("user_id", "client_id", name="pk_oauth_consents"),
    )
    op.create_index("ix_oauth_consents_client_id", "oauth_consents", ["client_id"])
    op.create_table(
        "oidc_identities",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(MAX_EMAIL_CHARS), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _fk("oidc_identities", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("provider", "subject", name="pk_oidc_identities"),
    )
    op.create_index("ix_oidc_identities_user_id", "oidc_identities", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_oidc_identities_user_id", table_name="oidc_identities")
    op.drop_table("oidc_identities")
    op.drop_index("ix_oauth_consents_client_id", table_name="oauth_consents")
    op.drop_table("oauth_consents")
    op.drop_index("ix_oauth_sessions_client_id", table_name="oauth_sessions")
    op.drop_table("oauth_sessions")
    op.drop_index("ix_oauth_codes_expires_at", table_name="oauth_codes")
    op.drop_index("ix_oauth_codes_client_id", table_name="oauth_codes")
    op.drop_table("oauth_codes")
    op.drop_table("oauth_clients")
