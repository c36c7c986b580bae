"""Where mails go: an SMTP server (``AUTHGATE_SMTP_URL``), else ``.eml`` files in the
outbox directory, for development and for deployments that collect them."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import functools
import os
import re
import secrets
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from authgate.core.settings import Settings, redact_url

if TYPE_CHECKING:
    import aiosmtplib


@functools.cache
def _aiosmtplib() -> ModuleType:
    """aiosmtplib, imported when an SMTP transport first connects: ~1 MB that a
    server writing to the outbox never carries."""
    import aiosmtplib

    return aiosmtplib


class MailDeliveryError(Exception):
    """A mail was not delivered. ``permanent``: retrying will not help (the server
    refused the recipient or the message for good); else a retry may succeed."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    """Delivers one message."""

    async def send(self, message: EmailMessage) -> str:
        """Deliver ``message``; return where it went, for one log line (an ``.eml``
        path, or ``smtp host:port``). Raises MailDeliveryError."""
        ...


# -- SMTP ------------------------------------------------------------------------------


class SmtpTransport:
    """``smtp://[user[:pass]@]host[:587][?starttls=off]`` (STARTTLS required unless
    ``starttls=off``) or ``smtps://[user[:pass]@]host[:465]`` (TLS from the start)."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, tls_context: ssl.SSLContext | None = None
    ) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = 0
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == 0:
            raise ValueError(f"not an smtp:// or smtps:// URL: {redact_url(url)}")
        starttls = parse_qs(parts.query).get("starttls", ["on"])[-1]
        self._implicit_tls = parts.scheme == "smtps"
        self._starttls = not self._implicit_tls and starttls != "off"
        self._host = parts.hostname
        self._port = port or (465 if self._implicit_tls else 587)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password is not None else None
        self._redacted = redact_url(url)
        self._timeout = timeout
        self._tls_context = tls_context

    def __repr__(self) -> str:
        return f"SmtpTransport({self._redacted!r})"

    @property
    def where(self) -> str:
        """``smtp host:port``."""
        return f"smtp {self._host}:{self._port}"

    async def check(self) -> None:
        """Connect, secure and log in as for a send, then say NOOP: nothing is sent.

        Raises:
            MailDeliveryError: the server cannot be reached, secured or logged in to.
        """
        smtp = _aiosmtplib()
        try:
            async with self._client() as client:
                await client.noop()
        except smtp.SMTPResponseException as exc:
            raise self._error(f"answered {exc.code} {exc.message}") from None
        except (smtp.SMTPException, OSError, TimeoutError) as exc:
            raise self._error(f"{type(exc).__name__}: {exc}") from None

    def _client(self) -> aiosmtplib.SMTP:
        return _aiosmtplib().SMTP(  # type: ignore[no-any-return]
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            use_tls=self._implicit_tls,
            start_tls=self._starttls,  # True: required, never a silent plain-text send
            tls_context=self._tls_context,
            timeout=self._timeout,
        )

    async def send(self, message: EmailMessage) -> str:
        sender = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses([str(message["To"])]) if address]
        smtp = _aiosmtplib()
        client = self._client()
        try:
            async with client:
                refused, _ = await client.send_message(
                    message, sender=sender, recipients=recipients
                )
        except smtp.SMTPRecipientsRefused as exc:
            raise self._refused([(r.code, r.message) for r in exc.recipients]) from None
        except smtp.SMTPRecipientRefused as exc:
            raise self._refused([(exc.code, exc.message)]) from None
        except smtp.SMTPDataError as exc:
            raise self._error(
                f"refused the message: {exc.code} {exc.message}", permanent=exc.code >= 500
            ) from None
        except smtp.SMTPAuthenticationError as exc:
            raise self._error(f"refused the login: {exc.code} {exc.message}") from None
        except smtp.SMTPResponseException as exc:
            raise self._error(f"answered {exc.code} {exc.message}") from None
        except smtp.SMTPNotSupported as exc:
            # Only raised for a non-ASCII address the server cannot take (no SMTPUTF8).
            raise self._error(str(exc), permanent=True) from None
        except smtp.SMTPException as exc:  # connection, timeout, no STARTTLS, …
            raise self._error(str(exc)) from None
        except (OSError, TimeoutError) as exc:  # TLS failures (ssl.SSLError is an OSError)
            raise self._error(f"{type(exc).__name__}: {exc}") from None
        except ValueError as exc:  # a message without a sender or recipient
            raise self._error(f"cannot send this message: {exc}", permanent=True) from None
        if refused:
            raise self._refused([(r.code, r.message) for r in refused.values()])
        return self.where

    def _refused(self, answers: list[tuple[int, str]]) -> MailDeliveryError:
        text = "; ".join(f"{code} {message}" for code, message in answers)
        permanent = all(code >= 500 for code, _ in answers)
        return self._error(f"refused the recipient: {text}", permanent=permanent)

    def _error(self, text: str, *, permanent: bool = False) -> MailDeliveryError:
        text = text.strip() or "failed"
        if self._password:  # a server that echoes what it was sent must not leak it
            for secret in {self._password, unquote(self._password)}:
                text = text.replace(secret, "***")
        return MailDeliveryError(f"{self.where}: {text}", permanent=permanent)


# -- the outbox directory --------------------------------------------------------------

#: ``YYYYmmddTHHMMSSZ-`` and 8 hex digits: microseconds (5) and random (3), so that
#: names sort by time to the microsecond and two writers never pick the same one.
_NAME = re.compile(r"(\d{8}T\d{6}Z)-([0-9a-f]{5})[0-9a-f]{3}\.eml")


class OutboxTransport:
    """Writes each message to ``directory`` as one ``.eml`` file (0600; the directory
    0700 when created here), atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"OutboxTransport({str(self.directory)!r})"

    async def send(self, message: EmailMessage) -> str:
        try:
            return await asyncio.to_thread(self._write, message.as_bytes())
        except OSError as exc:
            raise MailDeliveryError(
                f"cannot write to the outbox {self.directory}: {exc.strerror or exc}",
                permanent=False,
            ) from None

    def _write(self, data: bytes) -> str:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.directory)  # 0600
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            while True:
                now = datetime.now(UTC)
                name = f"{now:%Y%m%dT%H%M%SZ}-{now.microsecond:05x}{secrets.randbelow(4096):03x}"
                path = self.directory / f"{name}.eml"
                if not path.exists():
                    break
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        with contextlib.suppress(OSError):  # the new name survives a crash too
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        return str(path)


@dataclass(frozen=True)
class OutboxEntry:
    """One mail of the outbox: its file, its date (ISO 8601, UTC), To and Subject."""

    path: Path
    date: str
    to: str
    subject: str


def list_outbox(directory: Path) -> list[OutboxEntry]:
    """The outbox's mails, newest first; a missing directory is empty, and files that
    cannot be read or are not mails are left out."""
    try:
        paths = [p for p in directory.iterdir() if p.suffix == ".eml" and p.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    parser = BytesHeaderParser(policy=email.policy.default)
    found: list[tuple[float, str, OutboxEntry]] = []
    for path in paths:
        try:
            written = _written_at(path)
            with path.open("rb") as file:
                headers = parser.parse(file)
            to, subject = str(headers["To"] or ""), str(headers["Subject"] or "")
            date = parsedate_to_datetime(str(headers["Date"])).astimezone(UTC)
        except (OSError, ValueError, TypeError, IndexError):
            continue
        if not to:
            continue
        entry = OutboxEntry(path, f"{date:%Y-%m-%dT%H:%M:%SZ}", to, subject)
        found.append((written, path.name, entry))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [entry for _, _, entry in found]


def _written_at(path: Path) -> float:
    """When the file was written: by its name if the outbox named it, else its mtime."""
    match = _NAME.fullmatch(path.name)
    if match is None:
        return path.stat().st_mtime
    moment = datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return moment.timestamp() + int(match[2], 16) / 1_000_000


def transport_for(settings: Settings, *, tls_context: ssl.SSLContext | None = None) -> Transport:
    """SMTP when ``AUTHGATE_SMTP_URL`` is set, else the outbox directory."""
    if settings.smtp_url is not None:
        return SmtpTransport(settings.smtp_url.get_secret_value(), tls_context=tls_context)
    return OutboxTransport(settings.outbox_path)
