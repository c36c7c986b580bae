"""Composing a mail: structure, headers, and no way to inject a header."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from authgate.mail import MailAddressError, Rendered, compose
from tests.mail.helpers import SENDER, a_mail

RENDERED = Rendered(subject="Hello", text="Hi there\n", html="<p>Hi there</p>\n")

INJECTIONS = [
    "alice@example.com\r\nBcc: evil@example.com",
    "alice@example.com\nBcc: evil@example.com",
    "alice@example.com\rBcc: evil@example.com",
    "alice@example.com\x00",
    "alice@example.com\r\n\r\nforged body",
]
NOT_ONE_PLAIN_ADDRESS = [
    "alice",
    "alice@",
    "@example.com",
    "alice@example.com, evil@example.com",
    "alice@example.com,",
    "alice@example.com evil",
    "a@b@example.com",
    "Alice <alice@example.com>",
    "<alice@example.com>",
    "(comment) alice@example.com",
    "alice smith@example.com",
    '"alice"@example.com',
    "alice@example.com;",
    "<script>@x.com",
    "",
]


def test_a_mail_is_text_then_html_in_utf8() -> None:
    message = a_mail(language="ko")
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)
    assert isinstance(parts[0], EmailMessage) and "안녕하세요" in parts[0].get_content()


def test_the_headers() -> None:
    message = a_mail("bob@example.com", language="ko")
    assert message["From"] == SENDER
    assert message["To"] == "bob@example.com"
    assert message["Subject"] == "이메일 주소를 확인해 주세요"
    assert message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@auth.example.com>")
    assert message["Content-Language"] == "ko"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["MIME-Version"] == "1.0"
    # on the message itself, not moved into a part
    assert [part["Content-Language"] for part in message.iter_parts()] == [None, None]


def test_it_survives_the_wire_unchanged() -> None:
    message = a_mail(language="ko")
    data = message.as_bytes()
    assert data.isascii() and b"\r\n" in data  # 7-bit safe, CRLF line ends (SMTP policy)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "Content-Language"):
        assert parsed[name] == message[name]
    assert isinstance(parsed, EmailMessage)
    assert _contents(parsed) == _contents(message) and len(_contents(message)) == 2


def _contents(message: EmailMessage) -> list[str]:
    """The parts' text, line ends aside (the wire has CRLF)."""
    return [
        part.get_content().replace("\r\n", "\n")
        for part in message.iter_parts()
        if isinstance(part, EmailMessage)
    ]


@pytest.mark.parametrize("to", INJECTIONS)
def test_no_header_injection_through_the_recipient(to: str) -> None:
    with pytest.raises(MailAddressError, match="line break or NUL"):
        compose(sender=SENDER, to=to, rendered=RENDERED, language="en")


@pytest.mark.parametrize("sender", [*INJECTIONS, "authgate\r\n <no-reply@example.com>"])
def test_no_header_injection_through_the_sender(sender: str) -> None:
    with pytest.raises(MailAddressError, match="line break or NUL"):
        compose(sender=sender, to="alice@example.com", rendered=RENDERED, language="en")


@pytest.mark.parametrize("to", NOT_ONE_PLAIN_ADDRESS)
def test_only_one_plain_recipient_address(to: str) -> None:
    with pytest.raises(MailAddressError):
        compose(sender=SENDER, to=to, rendered=RENDERED, language="en")


@pytest.mark.parametrize(
    "sender",
    [
        "authgate <no-reply@example.com> junk",
        '"a@b" <no-reply@example.com>',
        "one@example.com, two@example.com",
        "(comment) no-reply@example.com",
        "authgate <no-reply@example.com",
        "authgate",
    ],
)
def test_only_one_sender_address(sender: str) -> None:
    with pytest.raises(MailAddressError):
        compose(sender=sender, to="alice@example.com", rendered=RENDERED, language="en")


@pytest.mark.parametrize(
    "sender", ["no-reply@example.com", '"Auth Gate" <no-reply@example.com>', "인증 <a@b.kr>"]
)
def test_a_sender_may_have_a_display_name(sender: str) -> None:
    message = compose(sender=sender, to="alice@example.com", rendered=RENDERED, language="en")
    assert message["From"].addresses[0].addr_spec == sender.rpartition("<")[2].rstrip(">")


def test_the_policy_refuses_line_breaks_in_any_header() -> None:
    """Behind the address checks: a subject with a line break never becomes a header."""
    forged = Rendered(subject="Hi\r\nBcc: evil@example.com", text="x\n", html="<p>x</p>\n")
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        compose(sender=SENDER, to="alice@example.com", rendered=forged, language="en")
    message = a_mail()
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        message["X-Test"] = "a\nBcc: evil@example.com"
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        compose(sender=SENDER, to="alice@example.com", rendered=RENDERED, language="en\nX: y")


def test_an_international_address_travels_raw_as_utf8() -> None:
    message = compose(sender=SENDER, to="jöhn@exämple.com", rendered=RENDERED, language="en")
    data = message.as_bytes()
    assert "To: jöhn@exämple.com\r\n".encode() in data and b"=?utf-8?" not in data
    assert message["To"] == "jöhn@exämple.com"
