"""``authgate doctor``: checks a deployment from its environment, one line each.

Every check says what it found and, when something is wrong, how to fix it. A
``fail`` is unsafe or broken (the command exits non-zero, so it can gate a deploy);
a ``warn`` is allowed but worth a look (development settings, a missing proxy list).
Nothing is written: a missing secret or key is reported, not generated.
"""

from __future__ import annotations

import asyncio
import math
import stat
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import redis.asyncio
from sqlalchemy import text

from authgate.core.config_values import is_loopback_host
from authgate.core.errors import ConfigurationError
from authgate.core.settings import PROFILES, Settings, redact_url
from authgate.mail.transport import SmtpTransport
from authgate.storage.keyfiles import SECRET_FILE, keys_path
from authgate.storage.sql.database import SCHEMA_HEAD, Database

Status = Literal["ok", "warn", "fail"]
#: A database, Redis or SMTP server that takes longer than this to answer is slow.
SLOW_SECONDS = 0.5
#: Clocks further apart than this break token times across instances.
CLOCK_SKEW_SECONDS = 5.0
_WEAK = ("secret", "password", "changeme", "authgate", "example", "0123456789")


@dataclass(frozen=True, slots=True)
class Finding:
    status: Status
    check: str
    message: str

    def line(self) -> str:
        return f"{self.status.upper():4}  {self.check}: {self.message}"


def _entropy_bits(secret: bytes) -> float:
    """Shannon entropy of the bytes times their count: a rough ceiling."""
    counts = Counter(secret)
    per_byte = -sum(c / len(secret) * math.log2(c / len(secret)) for c in counts.values())
    return per_byte * len(secret)


def _mode_problem(path: Path) -> str | None:
    """What is wrong with a private file's mode (None: only the owner reads it)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return f"{path} is mode {mode:04o}: run `chmod 600 {path}`"
    return None


def check_secret(settings: Settings) -> Finding:
    if settings.secret is not None:
        value = settings.secret.get_secret_value().encode()
        source = "AUTHGATE_SECRET"
    else:
        path = settings.state_dir / SECRET_FILE
        if not path.exists():
            return Finding(
                "warn",
                "secret",
                f"none yet: the first start generates {path} (instances must share it, "
                "or set AUTHGATE_SECRET on each)",
            )
        if problem := _mode_problem(path):
            return Finding("fail", "secret", problem)
        value, source = path.read_bytes().strip(), str(path)
    lowered = value.lower()
    if any(word.encode() in lowered for word in _WEAK) or _entropy_bits(value) < 128:
        return Finding(
            "fail",
            "secret",
            f"{source} looks guessable: set AUTHGATE_SECRET to `python -c "
            '"import secrets; print(secrets.token_urlsafe(48))"`',
        )
    return Finding("ok", "secret", f"from {source}, {len(value)} bytes")


def check_public_url(settings: Settings) -> list[Finding]:
    parts = urlsplit(settings.public_url)
    loopback = is_loopback_host(parts.hostname)
    findings: list[Finding] = []
    if parts.scheme != "https" and not loopback:
        findings.append(
            Finding(
                "fail",
                "public URL",
                f"{settings.public_url} is not https: set AUTHGATE_PUBLIC_URL to the https "
                "address users reach (links in mails, passkeys, cookies depend on it)",
            )
        )
    else:
        note = " (loopback: development only)" if loopback else ""
        findings.append(
            Finding("warn" if loopback else "ok", "public URL", settings.public_url + note)
        )
    if not settings.cookie_secure:
        status: Status = "warn" if loopback else "fail"
        findings.append(
            Finding(
                status,
                "cookies",
                "AUTHGATE_COOKIE_SECURE=false: cookies travel over plain http and lose their "
                "__Host-/__Secure- prefixes; set it to true"
                + (" (fine on loopback for development)" if loopback else ""),
            )
        )
    else:
        findings.append(Finding("ok", "cookies", "Secure, with __Host-/__Secure- prefixes"))
    if parts.scheme == "https" and not loopback and not settings.trusted_proxies:
        findings.append(
            Finding(
                "warn",
                "proxies",
                "AUTHGATE_TRUSTED_PROXIES is unset: behind a load balancer every client "
                "shares its address (per-address limits) and its scheme; list the proxy",
            )
        )
    return findings


def check_lifetimes(settings: Settings) -> list[Finding]:
    access = settings.access_ttl_seconds
    idle = settings.refresh_ttl_seconds
    absolute = settings.session_max_age_seconds
    default_access = PROFILES[settings.profile][0]
    findings: list[Finding] = []
    if access >= idle:
        findings.append(
            Finding(
                "fail",
                "lifetimes",
                f"access tokens ({access} s) outlive sessions ({idle} s): shorten "
                "AUTHGATE_ACCESS_TTL or lengthen AUTHGATE_REFRESH_TTL",
            )
        )
    if absolute < idle:
        findings.append(
            Finding(
                "warn",
                "lifetimes",
                f"AUTHGATE_SESSION_MAX_AGE ({absolute} s) is shorter than the idle lifetime "
                f"({idle} s): sessions end at {absolute} s however they are used",
            )
        )
    if access > default_access * 4:
        findings.append(
            Finding(
                "warn",
                "lifetimes",
                f"access tokens live {access} s, over 4x the '{settings.profile}' profile's "
                f"{default_access} s: a revoked token stays usable elsewhere that long",
            )
        )
    if not findings:
        findings.append(
            Finding(
                "ok",
                "lifetimes",
                f"profile {settings.profile}: {access} s / {idle} s / {absolute} s",
            )
        )
    return findings


def check_files(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    database = settings.sqlite_path
    if database is not None:
        problems = [
            problem
            for suffix in ("", "-wal", "-shm")
            if (path := Path(f"{database}{suffix}")).exists() and (problem := _mode_problem(path))
        ]
        if problems:
            findings.extend(Finding("fail", "database file", p) for p in problems)
        elif database.exists():
            findings.append(Finding("ok", "database file", f"{database} is private (0600)"))
    if settings.algorithm != "HS256":
        directory = keys_path(settings)
        keys = sorted(directory.glob("*.pem")) if directory.is_dir() else []
        problems = [p for key in keys if (p := _mode_problem(key))]
        if problems:
            findings.extend(Finding("fail", "keys", p) for p in problems)
        elif keys:
            findings.append(Finding("ok", "keys", f"{len(keys)} private key file(s), 0600"))
        else:
            findings.append(
                Finding(
                    "warn",
                    "keys",
                    f"no key files in {directory} yet: the first start generates them",
                )
            )
    return findings


async def _timed(what: Callable[[], Awaitable[object]]) -> tuple[object, float]:
    started = time.perf_counter()
    value = await what()
    return value, time.perf_counter() - started


async def check_database(settings: Settings) -> list[Finding]:
    sqlite = settings.sqlite_path
    if sqlite is not None and not sqlite.exists():
        return [
            Finding(
                "warn",
                "database",
                f"{sqlite} does not exist yet: `authgate serve` (or `authgate db upgrade`) "
                "creates it",
            )
        ]
    db = Database(settings.database_url)
    try:
        try:
            _, latency = await _timed(db.ping)
        except Exception as exc:
            return [
                Finding(
                    "fail", "database", f"{redact_url(settings.database_url)} unreachable: {exc}"
                )
            ]
        findings = [_latency("database", redact_url(settings.database_url), latency)]
        revision = await db.revision()
        if revision != SCHEMA_HEAD:
            findings.append(
                Finding(
                    "fail",
                    "migrations",
                    f"the schema is at {revision or 'nothing'}, this version needs "
                    f"{SCHEMA_HEAD}: run `authgate db upgrade`",
                )
            )
        else:
            findings.append(Finding("ok", "migrations", f"at head ({SCHEMA_HEAD})"))
        if not settings.is_sqlite:
            findings.append(await _clock_against_postgres(db))
        return findings
    finally:
        await db.dispose()


async def _clock_against_postgres(db: Database) -> Finding:
    async with db.connect() as conn:
        database_now = (await conn.execute(text("SELECT extract(epoch FROM now())"))).scalar_one()
    return _skew("the database server", float(database_now))


def _skew(other: str, their_now: float) -> Finding:
    skew = time.time() - their_now
    if abs(skew) > CLOCK_SKEW_SECONDS:
        return Finding(
            "fail",
            "clock",
            f"this host is {skew:+.1f} s off {other}: token times (iat, exp, nbf) break "
            "across instances; run NTP (chrony, systemd-timesyncd)",
        )
    return Finding("ok", "clock", f"within {abs(skew):.1f} s of {other}")


def _latency(check: str, what: str, seconds: float) -> Finding:
    status: Status = "warn" if seconds > SLOW_SECONDS else "ok"
    return Finding(status, check, f"{what} answered in {seconds * 1000:.0f} ms")


async def check_redis(settings: Settings) -> list[Finding]:
    if settings.redis_url is None:
        return [
            Finding("ok", "redis", "not used (one instance: revocations and limits in process)")
        ]
    client = redis.asyncio.Redis.from_url(
        settings.redis_url, socket_connect_timeout=3, socket_timeout=3
    )
    try:
        _, latency = await _timed(client.ping)
        seconds, micros = await client.time()
        return [
            _latency("redis", redact_url(settings.redis_url), latency),
            _skew("Redis", seconds + micros / 1e6),
        ]
    except Exception as exc:
        return [Finding("fail", "redis", f"{redact_url(settings.redis_url)} unreachable: {exc}")]
    finally:
        await client.aclose()


async def check_smtp(settings: Settings) -> Finding:
    if settings.smtp_url is None:
        public = urlsplit(settings.public_url).hostname
        status: Status = "warn" if not is_loopback_host(public) else "ok"
        return Finding(
            status,
            "mail",
            f"AUTHGATE_SMTP_URL is unset: mails are written to {settings.outbox_path} "
            "(development); set it so that users get their links",
        )
    url = settings.smtp_url.get_secret_value()
    try:
        _, latency = await _timed(SmtpTransport(url, timeout=5).check)
    except Exception as exc:
        return Finding("fail", "mail", f"{redact_url(url)}: {exc}")
    return _latency("mail", f"{redact_url(url)} (TLS and login as configured)", latency)


async def diagnose(settings: Settings) -> list[Finding]:
    """Every check, in the order a person fixes things."""
    findings = [check_secret(settings), *check_public_url(settings), *check_lifetimes(settings)]
    findings += check_files(settings)
    database, redis_, mail = await asyncio.gather(
        check_database(settings), check_redis(settings), check_smtp(settings)
    )
    return [*findings, *database, *redis_, mail]


def settings_finding(exc: ConfigurationError) -> list[Finding]:
    """A configuration that does not load: one finding per line of the error."""
    return [Finding("fail", "settings", line) for line in str(exc).splitlines()]
