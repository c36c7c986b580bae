"""The schema (Alembic migrations create it; this is its SQLAlchemy Core mirror).

The mirror names columns, keys and indexes, not PostgreSQL's storage parameters
(migration 0007's ``fillfactor`` on ``sessions`` and ``refresh_tokens``): a
``postgresql_with`` here would make SQLAlchemy load its PostgreSQL dialect (~3 MB)
into a server on SQLite too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

from authgate.core.emails import MAX_EMAIL_CHARS

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite keeps naive UTC; PostgreSQL answers in the session's zone.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigId = BigInteger().with_variant(Integer, "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(MAX_EMAIL_CHARS), nullable=False),
    Column("email_key", String(MAX_EMAIL_CHARS), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime, nullable=True),
    Column("email_verified_at", UTCDateTime, nullable=True),
    Column("roles", String(255), nullable=False, default=""),
)
#: Indexes migration 0005 creates on PostgreSQL only, on expressions the models do not
#: mirror: ``email_key COLLATE "C"``, byte order for the admin's search by prefix
#: whatever the database's collation (SQLite's index on ``email_key`` already is).
POSTGRES_ONLY_INDEXES = frozenset({"ix_users_email_key_bytes"})

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("user_agent", String(512), nullable=False, default=""),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("auth_time", BigInteger, nullable=False, default=0),
    Column("amr", String(32), nullable=False, default="pwd"),
    # The idle end, renewed by each refresh; ``expires_at`` is when the row may be
    # purged, moved in steps (migration 0008). NULL: written before 0008.
    Column("idle_until", UTCDateTime, nullable=True),
    # A user's live sessions are one range of it, newest last (migration 0009).
    Index("ix_sessions_user_live", "user_id", "revoked_at", "created_at", "id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "session_id",
        String(36),
        ForeignKey("sessions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("rotated_at", UTCDateTime, nullable=True),
    Column("successor_box", LargeBinary, nullable=True),
)

revocations = Table(
    "revocations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("cutoff", BigInteger, nullable=False, default=0),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("recorded_at", BigInteger, nullable=False, index=True),
)

plans = Table(
    "plans",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(500), nullable=False),
    Column("done", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_plans_user_id", "user_id", "id"),
)

email_tokens = Table(
    "email_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(8), nullable=False),
    Column("new_email", String(MAX_EMAIL_CHARS), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("used_at", UTCDateTime, nullable=True),
    Index("ix_email_tokens_user_id", "user_id", "purpose"),
)

mail_queue = Table(
    "mail_queue",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("kind", String(8), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claim", String(32), nullable=True),
    Column("leased_until", UTCDateTime, nullable=True),
)

totp_factors = Table(
    "totp_factors",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("secret_box", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("last_step", BigInteger, nullable=False, default=0),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Index("ix_recovery_codes_user_id", "user_id"),
)

mfa_challenges = Table(
    "mfa_challenges",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("credential", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime, nullable=True),
)

passkeys = Table(
    "passkeys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("credential_id", String(1400), nullable=False, unique=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False, default=0),
    Column("name", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Index("ix_passkeys_user_id", "user_id"),
)

webauthn_flows = Table(
    "webauthn_flows",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("challenge", LargeBinary, nullable=False),
    Column("mfa_token_hash", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("used_at", UTCDateTime, nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("user_id", String(36), nullable=True),
    Column("actor_id", String(36), nullable=True),
    Column("ip", String(45), nullable=True),
    Column("user_agent", String(512), nullable=False, default=""),
    Column("detail", Text, nullable=False, default="{}"),
    Index("ix_events_user_id", "user_id", "id"),
    Index("ix_events_type", "type", "id"),
)

oauth_clients = Table(
    "oauth_clients",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("secret_hash", String(64), nullable=True),
    Column("redirect_uris", Text, nullable=False),
    Column("first_party", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column(
        "client_id",
        String(64),
        ForeignKey("oauth_clients.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", String(255), nullable=False),
    Column("nonce", String(512), nullable=True),
    Column("code_challenge", String(128), nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("amr", String(32), nullable=False),
    Column("origin_jti", String(64), nullable=False),
    Column("origin_session", String(36), nullable=True),
    Column("origin_iat", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("used_at", UTCDateTime, nullable=True),
    Column("session_id", String(36), nullable=True),
)

oauth_sessions = Table(
    "oauth_sessions",
    metadata,
    Column(
        "session_id", String(36), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "client_id",
        String(64),
        ForeignKey("oauth_clients.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("scope", String(255), nullable=False),
)

oauth_consents = Table(
    "oauth_consents",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "client_id",
        String(64),
        ForeignKey("oauth_clients.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("scope", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

oidc_identities = Table(
    "oidc_identities",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(MAX_EMAIL_CHARS), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_oidc_identities_user_id", "user_id"),
)
