"""A real SMTP server for the tests: aiosmtpd in its own process
(``tests/mailserver_process.py``), which stores what it receives in a directory.

``MailServer`` starts it on a free port, stops it, and starts it again on the same
port; it reads back the messages and their envelopes. Plain, STARTTLS (required)
or TLS from the start, with a throwaway self-signed certificate made here, and AUTH
with a fixed user and password when TLS is on. Its fixture, ``mail_server``, is a
plain server, imported by tests/conftest.py.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import json
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
#: The fixed AUTH credentials of a TLS server (the password has URL-special characters).
USER = "mailer@example.com"
PASSWORD = "s3cret p@ss/w:rd%"
#: The recipient every server refuses with 550 (for good), and the one it defers with 450.
REFUSED = "refuse@example.com"
DEFERRED = "later@example.com"

Tls = Literal["off", "starttls", "implicit"]


@dataclass(frozen=True)
class Delivery:
    """One received message and its envelope."""

    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str]
    tls: bool
    auth_login: str | None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "authgate test mail server")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class MailServer:
    """One aiosmtpd process on a fixed port, storing messages in ``directory/inbox``."""

    def __init__(
        self,
        directory: Path,
        *,
        tls: Tls = "off",
        auth: bool | None = None,
        refuse: tuple[str, ...] = (REFUSED,),
        defer: tuple[str, ...] = (DEFERRED,),
    ) -> None:
        self.host = HOST
        self.port = free_port()
        self.directory = directory
        self.inbox = directory / "inbox"
        self.tls: Tls = tls
        self.auth = tls != "off" if auth is None else auth
        self.refuse = refuse
        self.defer = defer
        self.process: subprocess.Popen[bytes] | None = None
        self.tls_context: ssl.SSLContext | None = None
        self._cert: tuple[Path, Path] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self.inbox.mkdir(exist_ok=True)
        if tls != "off":
            self._cert = make_certificate(directory)
            self.tls_context = ssl.create_default_context(cafile=str(self._cert[0]))

    @property
    def url(self) -> str:
        """The AUTHGATE_SMTP_URL that reaches this server."""
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        user = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@" if self.auth else ""
        query = "?starttls=off" if self.tls == "off" else ""
        return f"{scheme}://{user}{self.host}:{self.port}{query}"

    def start(self, timeout: float = 10.0) -> None:
        """Start the process; return once the port accepts connections."""
        if self.process is not None:
            raise RuntimeError("the mail server is running already")
        args = [
            sys.executable,
            "-m",
            "tests.mailserver_process",
            "--port",
            str(self.port),
            "--directory",
            str(self.inbox),
            "--tls",
            self.tls,
        ]
        if self._cert is not None:
            args += ["--cert", str(self._cert[0]), "--key", str(self._cert[1])]
        if self.auth:
            args += ["--user", USER, "--password", PASSWORD]
        for address in self.refuse:
            args += ["--refuse", address]
        for address in self.defer:
            args += ["--defer", address]
        log = self.directory / "server.log"
        with log.open("ab") as output:
            self.process = subprocess.Popen(args, cwd=ROOT, stdout=output, stderr=output)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"the mail server died at start:\n{log.read_text()}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"the mail server did not listen within {timeout} s:\n{log.read_text()}"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Kill the process (what it stored stays)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def deliveries(self) -> list[Delivery]:
        """Everything received so far, in order, with its envelope."""
        found = []
        for path in sorted(self.inbox.glob("*.eml")):
            envelope = json.loads(path.with_suffix(".json").read_text())
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(Delivery(message=message, **envelope))
        return found

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, in order."""
        return [delivery.message for delivery in self.deliveries()]

    def wait_for(self, to: str, *, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """The messages to ``to`` (by envelope), once ``count`` of them have arrived."""
        deadline = time.monotonic() + timeout
        while True:
            deliveries = self.deliveries()
            mine = [d.message for d in deliveries if to.lower() in map(str.lower, d.rcpt_tos)]
            if len(mine) >= count:
                return mine
            if time.monotonic() > deadline:
                arrived = [(d.rcpt_tos, str(d.message["Subject"])) for d in deliveries]
                raise AssertionError(
                    f"{count} mail(s) to {to} did not arrive within {timeout} s "
                    f"({len(mine)} did); arrived: {arrived}"
                )
            time.sleep(0.05)


LINK = re.compile(r"https?://[^\s<>\"']+")


def links_in(message: EmailMessage) -> list[str]:
    """The http(s) links of the message's text/plain part."""
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage), "no text/plain part"
    return [link.rstrip(".,;:!?)") for link in LINK.findall(part.get_content())]


@pytest.fixture
def mail_server(tmp_path: Path) -> Iterator[MailServer]:
    """A plain SMTP server (no STARTTLS, no AUTH), started; stopped after the test."""
    server = MailServer(tmp_path / "mailserver")
    server.start()
    yield server
    server.stop()
