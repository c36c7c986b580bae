"""SmtpTransport against a real SMTP server (aiosmtpd in its own process): plain,
STARTTLS and TLS with AUTH; what is temporary and what is permanent; no password in
any error."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from authgate.core.settings import Settings
from authgate.mail import MailDeliveryError, OutboxTransport, SmtpTransport, transport_for
from tests.conftest import SECRET
from tests.mail.helpers import a_mail
from tests.mailserver import DEFERRED, PASSWORD, REFUSED, USER, MailServer, links_in

pytestmark = pytest.mark.slow

#: Every way the password could show in a text.
SECRETS = (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD))


@pytest.fixture
def starttls_server(tmp_path: Path) -> Iterator[MailServer]:
    server = MailServer(tmp_path / "starttls", tls="starttls")
    server.start()
    yield server
    server.stop()


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


async def test_plain_smtp_delivers(mail_server: MailServer) -> None:
    transport = SmtpTransport(mail_server.url)
    where = await transport.send(a_mail("alice@example.com"))
    assert where == f"smtp 127.0.0.1:{mail_server.port}"
    [message] = mail_server.wait_for("alice@example.com")
    assert message["Subject"] == "Confirm your email address"
    assert links_in(message) == [
        "https://auth.example.com/verify?token=tok_0123456789abcdefXYZ",
        "https://auth.example.com",
        "https://auth.example.com",
    ]
    [delivery] = mail_server.deliveries()
    assert delivery.mail_from == "no-reply@auth.example.com"
    assert delivery.rcpt_tos == ["alice@example.com"]
    assert not delivery.tls and delivery.auth_login is None


async def test_starttls_and_auth_deliver(starttls_server: MailServer) -> None:
    assert starttls_server.url.startswith(f"smtp://{quote(USER, safe='')}:")
    transport = SmtpTransport(starttls_server.url, tls_context=starttls_server.tls_context)
    await transport.send(a_mail("alice@example.com", language="ko"))
    [message] = starttls_server.wait_for("alice@example.com")
    assert message["Subject"] == "이메일 주소를 확인해 주세요"
    [delivery] = starttls_server.deliveries()
    assert delivery.tls and delivery.auth_login == USER  # the decoded user, over TLS


async def test_smtps_delivers(tmp_path: Path) -> None:
    server = MailServer(tmp_path / "smtps", tls="implicit")
    server.start()
    try:
        assert server.url.startswith("smtps://")
        await SmtpTransport(server.url, tls_context=server.tls_context).send(a_mail())
        server.wait_for("alice@example.com")
        [delivery] = server.deliveries()
        assert delivery.tls and delivery.auth_login == USER
    finally:
        server.stop()


async def test_no_starttls_offered_is_temporary_and_nothing_is_sent(
    mail_server: MailServer,
) -> None:
    """Without ?starttls=off, a server without STARTTLS gets nothing in plain text."""
    url = mail_server.url.removesuffix("?starttls=off")
    with pytest.raises(MailDeliveryError, match="STARTTLS") as caught:
        await SmtpTransport(url).send(a_mail())
    assert not caught.value.permanent
    assert mail_server.messages() == []


async def test_an_untrusted_certificate_is_temporary(starttls_server: MailServer) -> None:
    with pytest.raises(MailDeliveryError) as caught:
        await SmtpTransport(starttls_server.url).send(a_mail())  # the system's CAs only
    assert not caught.value.permanent
    assert "certificate" in str(caught.value).lower()
    assert_no_secret(str(caught.value))
    assert starttls_server.messages() == []


async def test_a_wrong_password_is_temporary_and_never_shown(starttls_server: MailServer) -> None:
    wrong = "not-the-p@ss:word"
    url = f"smtp://{quote(USER, safe='')}:{quote(wrong, safe='')}@127.0.0.1:{starttls_server.port}"
    transport = SmtpTransport(url, tls_context=starttls_server.tls_context)
    with pytest.raises(MailDeliveryError, match="login") as caught:
        await transport.send(a_mail())
    assert not caught.value.permanent
    for text in (str(caught.value), repr(caught.value), repr(transport)):
        assert wrong not in text and quote(wrong, safe="") not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_connection_refused_is_temporary_and_a_restart_delivers_later(
    mail_server: MailServer,
) -> None:
    transport = SmtpTransport(mail_server.url, timeout=5)
    mail_server.stop()
    with pytest.raises(MailDeliveryError, match=r"127\.0\.0\.1") as caught:
        await transport.send(a_mail("later@example.org"))
    assert not caught.value.permanent
    mail_server.start()  # the same port
    await transport.send(a_mail("later@example.org"))
    assert len(mail_server.wait_for("later@example.org")) == 1


async def test_a_silent_server_times_out_as_temporary() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"smtp://127.0.0.1:{listener.getsockname()[1]}?starttls=off"
        with pytest.raises(MailDeliveryError) as caught:
            await SmtpTransport(url, timeout=0.5).send(a_mail())
    assert not caught.value.permanent


async def test_a_recipient_refused_with_550_is_permanent(mail_server: MailServer) -> None:
    with pytest.raises(MailDeliveryError, match="550") as caught:
        await SmtpTransport(mail_server.url).send(a_mail(REFUSED))
    assert caught.value.permanent
    assert mail_server.messages() == []


async def test_a_recipient_deferred_with_450_is_temporary(mail_server: MailServer) -> None:
    with pytest.raises(MailDeliveryError, match="450") as caught:
        await SmtpTransport(mail_server.url).send(a_mail(DEFERRED))
    assert not caught.value.permanent


async def test_errors_of_an_authenticated_url_never_show_the_password(
    starttls_server: MailServer,
) -> None:
    transport = SmtpTransport(starttls_server.url, tls_context=starttls_server.tls_context)
    assert_no_secret(repr(transport))
    with pytest.raises(MailDeliveryError, match="550") as refused:
        await transport.send(a_mail(REFUSED))
    assert refused.value.permanent
    starttls_server.stop()
    with pytest.raises(MailDeliveryError) as unreachable:
        await transport.send(a_mail())
    for error in (refused.value, unreachable.value):
        assert_no_secret(str(error))
        assert_no_secret(repr(error))


def test_a_bad_url_is_refused_without_its_password() -> None:
    for url in ("http://user:hunter2@example.com", "smtp://user:hunter2@", "smtp://u:hunter2@h:0"):
        with pytest.raises(ValueError) as caught:
            SmtpTransport(url)
        assert "hunter2" not in str(caught.value)


def test_transport_for_picks_smtp_only_when_configured(tmp_path: Path) -> None:
    base = {"secret": SECRET, "database_url": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"}
    outbox = transport_for(Settings(**base))
    assert isinstance(outbox, OutboxTransport)
    assert outbox.directory == tmp_path / "authgate-outbox"
    context = ssl.create_default_context()
    smtp = transport_for(Settings(**base, smtp_url="smtps://u:hunter2@mail.example.com"))
    assert isinstance(smtp, SmtpTransport)
    assert smtp.where == "smtp mail.example.com:465"
    assert "hunter2" not in repr(smtp)
    starttls = transport_for(
        Settings(**base, smtp_url="smtp://mail.example.com"), tls_context=context
    )
    assert isinstance(starttls, SmtpTransport) and starttls.where == "smtp mail.example.com:587"
