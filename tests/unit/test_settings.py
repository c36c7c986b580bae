"""Settings: defaults, durations, and one clear line per problem naming the variable."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from authgate.core.errors import ConfigurationError
from authgate.core.settings import Settings, load_settings, parse_duration, redact_url
from authgate.storage.keyfiles import load_or_create_secret


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        (900, 900),
        ("900", 900),
        ("15m", 900),
        ("7d", 604800),
        ("12h", 43200),
        ("30s", 30),
        ("2w", 1209600),
        (" 5M ", 300),
    ],
)
def test_durations(raw: object, seconds: int) -> None:
    """Seconds or 15m / 12h / 7d forms."""
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize("raw", ["", "abc", "15x", "-5", "1.5h", True, -1])
def test_bad_durations(raw: object) -> None:
    """Anything else is refused."""
    with pytest.raises(ValueError):
        parse_duration(raw)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """API.md §2 defaults."""
    for name in ("AUTHGATE_SECRET", "AUTHGATE_DATABASE_URL", "AUTHGATE_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./authgate.db"
    assert settings.algorithm == "HS256"
    assert settings.access_ttl_seconds == 900
    assert settings.refresh_ttl_seconds == 7 * 86400
    assert settings.token_transport == "both"
    assert settings.refresh_grace == 0
    assert settings.cookie_secure is True
    assert settings.limit_login_account == "10 per 15 minutes"
    assert settings.state_dir == Path()


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """AUTHGATE_* variables are read when Settings is built (not at import)."""
    monkeypatch.setenv("AUTHGATE_PROFILE", "sensitive")
    monkeypatch.setenv("AUTHGATE_ACCESS_TTL", "2m")
    monkeypatch.setenv("AUTHGATE_COOKIE_SECURE", "false")
    settings = Settings()
    assert settings.access_ttl_seconds == 120
    assert settings.refresh_ttl_seconds == 3600
    assert settings.cookie_secure is False


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("AUTHGATE_SECRET", "too-short", "at least 32 bytes"),
        ("AUTHGATE_ALGORITHM", "HS512", "unknown algorithm"),
        ("AUTHGATE_ALGORITHM", "none", "unknown algorithm"),
        ("AUTHGATE_PROFILE", "banking", "AUTHGATE_PROFILE"),
        ("AUTHGATE_ACCESS_TTL", "soon", "not a duration"),
        ("AUTHGATE_ACCESS_TTL", "0", "must be positive"),
        ("AUTHGATE_DATABASE_URL", "mysql://x", "sqlite+aiosqlite"),
        ("AUTHGATE_TOKEN_TRANSPORT", "carrier-pigeon", "AUTHGATE_TOKEN_TRANSPORT"),
        ("AUTHGATE_LEEWAY", "31", "AUTHGATE_LEEWAY"),
        ("AUTHGATE_REFRESH_TTL", "3000000d", "at most 3650d"),
        ("AUTHGATE_ACCESS_TTL", "1000000w", "at most 3650d"),
        ("AUTHGATE_REFRESH_GRACE", "99999999999", "at most 3650d"),
        ("AUTHGATE_DATABASE_URL", "postgresql+asyncpg://u@db:abc/x", "port"),
        ("AUTHGATE_DATABASE_URL", "postgresql+asyncpg://u@db:99999/x", "port"),
        ("AUTHGATE_REDIS_URL", "redis://127.0.0.1:abc/0", "port"),
        ("AUTHGATE_REDIS_URL", "redis://127.0.0.1:0/0", "port"),
        ("AUTHGATE_EVENTS_RETENTION", "0", "must be positive"),
        ("AUTHGATE_EVENTS_RETENTION", "forever", "not a duration"),
        ("AUTHGATE_LOG_FORMAT", "xml", "AUTHGATE_LOG_FORMAT"),
        ("AUTHGATE_METRICS_ALLOW", "not-a-network", "'not-a-network' is not a CIDR"),
        ("AUTHGATE_METRICS_ALLOW", "10.0.0.0/8, 10.0.0.0/33", "'10.0.0.0/33' is not a CIDR"),
    ],
)
def test_bad_settings_name_their_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, fragment: str
) -> None:
    """Each invalid value gives one line that starts with the variable's name."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{variable}: ")
    assert fragment in lines[0]


def test_the_longest_duration_is_accepted() -> None:
    """Ten years is the limit: a token lifetime beyond it ends past year 9999 soon."""
    assert parse_duration("3650d") == 3650 * 86400
    assert Settings(refresh_ttl="3650d").refresh_ttl_seconds == 3650 * 86400


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param(
            "postgresql+asyncpg://app:hunter2@db:5432/x",
            "postgresql+asyncpg://app:***@db:5432/x",
            id="userinfo",
        ),
        pytest.param(
            "postgresql+asyncpg://app@db/x?password=hunter2&ssl=require",
            "postgresql+asyncpg://app@db/x?password=***&ssl=require",
            id="query",
        ),
        pytest.param(
            "redis://:hunter2@cache:6379/0?PassWord=hunter2",
            "redis://:***@cache:6379/0?PassWord=***",
            id="redis-both",
        ),
        pytest.param("redis://cache:6379/0", "redis://cache:6379/0", id="nothing-secret"),
        pytest.param(
            "sqlite+aiosqlite:///./authgate.db", "sqlite+aiosqlite:///./authgate.db", id="sqlite"
        ),
    ],
)
def test_urls_are_shown_without_passwords(url: str, shown: str) -> None:
    """A password in the user part or in the query never reaches a log or an error."""
    assert redact_url(url) == shown
    assert "hunter2" not in redact_url(url)


def test_secret_is_masked() -> None:
    """The secret never shows in a repr."""
    settings = Settings(secret="s" * 40)
    assert "sss" not in repr(settings)


def test_generated_secret_is_kept_0600(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Without AUTHGATE_SECRET, one is generated once, 0600, with one warning line."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    with caplog.at_level(logging.WARNING, logger="authgate"):
        first = load_or_create_secret(settings)
        second = load_or_create_secret(settings)
    assert first == second
    assert len(first) >= 32
    path = tmp_path / "authgate.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "AUTHGATE_SECRET" in warnings[0].getMessage()
    assert first.decode() not in caplog.text


def test_a_short_stored_secret_is_refused(tmp_path: Path) -> None:
    """A tampered secret file stops start-up, naming the variable."""
    (tmp_path / "authgate.secret").write_text("short")
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(ConfigurationError, match=r"^AUTHGATE_SECRET: "):
        load_or_create_secret(settings)
