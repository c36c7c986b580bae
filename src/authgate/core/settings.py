"""Settings: the one place that reads the environment (prefix ``AUTHGATE_``).

Validated at start-up; every problem becomes one line that names the variable
(``ConfigurationError``). Nothing here is read at import time: build ``Settings()``
(or call :func:`load_settings`) when the application starts.
"""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from authgate.core.config_values import (
    Duration,
    OptionalText,
    check_port,
    none_if_blank,
    parse_duration,
    parse_networks,
    redact_url,
)
from authgate.core.errors import ConfigurationError
from authgate.core.upstream_settings import UpstreamProvider, parse_providers

__all__ = ["Settings", "env_name", "load_settings", "parse_duration", "redact_url"]

ENV_PREFIX = "AUTHGATE_"
ALGORITHMS = ("HS256", "EdDSA", "ES256", "RS256")
MIN_SECRET_BYTES = 32
MAX_LEEWAY_SECONDS = 30

#: Lifetimes per profile, in seconds: (access token, session idle = refresh token,
#: session absolute). A session ends at its absolute lifetime however often it is
#: refreshed (OWASP Session Management: absolute timeout).
PROFILES: dict[str, tuple[int, int, int]] = {
    "web": (15 * 60, 7 * 24 * 3600, 30 * 24 * 3600),
    "sensitive": (5 * 60, 3600, 8 * 3600),
    "mobile": (3600, 30 * 24 * 3600, 90 * 24 * 3600),
}


class Settings(BaseSettings):
    """Everything configurable, with the defaults of API.md §2."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore", frozen=True
    )

    secret: Annotated[SecretStr | None, BeforeValidator(none_if_blank)] = None
    database_url: str = "sqlite+aiosqlite:///./authgate.db"
    redis_url: OptionalText = None
    algorithm: str = "HS256"
    keys_dir: Annotated[Path | None, BeforeValidator(none_if_blank)] = None
    profile: Literal["web", "sensitive", "mobile"] = "web"
    access_ttl: Annotated[Duration | None, BeforeValidator(none_if_blank)] = None
    refresh_ttl: Annotated[Duration | None, BeforeValidator(none_if_blank)] = None
    session_max_age: Annotated[Duration | None, BeforeValidator(none_if_blank)] = None
    issuer: OptionalText = None
    audience: OptionalText = None
    token_transport: Literal["bearer", "cookie", "both"] = "both"
    refresh_grace: Duration = 0
    cookie_secure: bool = True
    limit_login_account: str = "10 per 15 minutes"
    limit_login_address: str = "100 per 15 minutes"
    limit_register_address: str = "50 per hour"
    limit_mail_address: str = "20 per hour"
    metrics_allow: str = "127.0.0.1/32,::1/128"
    public_url: str = "http://127.0.0.1:8000"
    smtp_url: Annotated[SecretStr | None, BeforeValidator(none_if_blank)] = None
    mail_from: str = "authgate <no-reply@localhost>"
    outbox_dir: Annotated[Path | None, BeforeValidator(none_if_blank)] = None
    mail_templates: Annotated[Path | None, BeforeValidator(none_if_blank)] = None
    require_verified_email: bool = False
    reauth_max_age: Duration = 600
    events_retention: Duration = 90 * 86400
    log_format: Literal["text", "json"] = "text"
    oidc_providers: Annotated[
        dict[str, UpstreamProvider], NoDecode, BeforeValidator(parse_providers)
    ] = {}
    # Beyond API.md §2: knobs a deployment may need, all with safe defaults.
    leeway: Annotated[int, Field(ge=0, le=MAX_LEEWAY_SECONDS)] = 10
    hash_concurrency: Annotated[int, Field(ge=1, le=64)] = 1
    trusted_proxies: OptionalText = None
    # Namespace of authgate's keys and channel in a Redis shared with others
    # (pub/sub channels ignore Redis database numbers).
    redis_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = "authgate"
    max_body_bytes: Annotated[int, Field(ge=1024)] = 2 * 1024 * 1024
    telemetry: bool = False

    @field_validator("secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes")
        return value

    @field_validator("algorithm")
    @classmethod
    def _known_algorithm(cls, value: str) -> str:
        if value not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {value!r} (choose {', '.join(ALGORITHMS)})")
        return value

    @field_validator("access_ttl", "refresh_ttl", "session_max_age", "events_retention")
    @classmethod
    def _positive_ttl(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("must be positive")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        check_port(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("use an absolute http(s) URL such as https://auth.example.com")
        if parts.query or parts.fragment or parts.username is not None:
            raise ValueError("no user, query or fragment in the public URL")
        check_port(value)
        return value.strip().rstrip("/")

    @field_validator("smtp_url")
    @classmethod
    def _known_smtp(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        url = value.get_secret_value().strip()
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("use smtp://user:pass@host:587 (STARTTLS) or smtps://host:465")
        query = parse_qs(parts.query, keep_blank_values=True)
        if set(query) - {"starttls"} or query.get("starttls", ["on"]) not in (["on"], ["off"]):
            raise ValueError("the only query parameter is starttls=off (or on)")
        check_port(url)
        return SecretStr(url)

    @field_validator("mail_from")
    @classmethod
    def _one_sender(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "\r" in value or "\n" in value or "@" not in address or address.count("@") != 1:
            raise ValueError("use an address such as 'authgate <no-reply@example.com>'")
        return value.strip()

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("use redis://host:6379/0, rediss://… (TLS) or unix:///path.sock")
        check_port(value)
        return value

    @property
    def access_ttl_seconds(self) -> int:
        """Access-token lifetime: the override, else the profile's."""
        return self.access_ttl or PROFILES[self.profile][0]

    @property
    def refresh_ttl_seconds(self) -> int:
        """Session (refresh-token) lifetime: the override, else the profile's."""
        return self.refresh_ttl or PROFILES[self.profile][1]

    @property
    def session_max_age_seconds(self) -> int:
        """Absolute session lifetime: the override, else the profile's."""
        return self.session_max_age or PROFILES[self.profile][2]

    @property
    def public_origin(self) -> str:
        """The origin (scheme, host, port) of AUTHGATE_PUBLIC_URL (RFC 6454 §6.2)."""
        parts = urlsplit(self.public_url)
        default = {"http": 80, "https": 443}[parts.scheme]
        port = "" if parts.port in (None, default) else f":{parts.port}"
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        return f"{parts.scheme}://{host}{port}".lower()

    @property
    def outbox_path(self) -> Path:
        """Where mails go without AUTHGATE_SMTP_URL: AUTHGATE_OUTBOX_DIR, else
        ``authgate-outbox/`` beside the database."""
        if self.outbox_dir is not None:
            return self.outbox_dir
        db = self.sqlite_path
        return (db.parent if db is not None else Path()) / "authgate-outbox"

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite database."""
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None (another database, or in memory)."""
        if not self.is_sqlite or ":///" not in self.database_url:
            return None
        path = self.database_url.split(":///", 1)[1].split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(path)

    @property
    def state_dir(self) -> Path:
        """Where generated secrets and keys live: AUTHGATE_KEYS_DIR, else beside the DB."""
        if self.keys_dir is not None:
            return self.keys_dir
        db = self.sqlite_path
        return db.parent if db is not None else Path()


def env_name(field: str) -> str:
    """The environment variable behind a settings field."""
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings.

    Raises:
        ConfigurationError: one line per problem, each naming its variable.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{env_name(field)}: {message}")
        raise ConfigurationError("\n".join(lines)) from None
