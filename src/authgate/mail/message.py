"""One mail as an ``EmailMessage``: text and HTML alternatives, safe headers.

Addresses are checked before they reach a header: a line break, a NUL, a second
``@`` or anything ``email.utils`` does not read back as the same address is refused
(``MailAddressError``). The SMTP policy refuses line breaks in headers besides.
"""

from __future__ import annotations

import email.policy
import re
import secrets
from datetime import UTC, datetime
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

from authgate.mail.templates import Rendered

#: local@domain: no space, control character, second @ or address punctuation.
_ADDRESS = re.compile(r'[^\s\x00-\x1f\x7f@<>()\[\]\\,;:"]+@[^\s\x00-\x1f\x7f@<>()\[\]\\,;:"]+')
_HEADERS = HeaderRegistry()


class MailAddressError(ValueError):
    """An address that cannot be mailed safely."""


def _address(value: str, what: str, *, display_name: bool) -> str:
    """The bare address of ``value`` (``name <address>`` only if ``display_name``)."""
    if any(char in value for char in "\r\n\x00"):
        raise MailAddressError(f"the {what} address contains a line break or NUL")
    if value.count("@") != 1:
        raise MailAddressError(f"the {what} address must have exactly one @")
    name, address = parseaddr(value)
    if not _ADDRESS.fullmatch(address) or getaddresses([value]) != [(name, address)]:
        raise MailAddressError(f"the {what} address is not a single plain address")
    if not display_name and (name or value != address):
        raise MailAddressError(f"the {what} address must be a bare address")
    try:
        header = _HEADERS("To", value)
        # A non-ASCII local part is fine: such mail travels with SMTPUTF8.
        clean = all(isinstance(d, NonASCIILocalPartDefect) for d in header.defects)
        addresses: tuple[Address, ...] = ()
        if isinstance(header, AddressHeader):
            addresses = header.addresses
        parsed = [(a.display_name, a.addr_spec) for a in addresses]
    except Exception:  # the header parser fails in several ways on odd input
        clean, parsed = False, []
    if not clean or parsed != [(name, address)]:
        raise MailAddressError(f"the {what} address does not parse back to itself")
    return address


def _message_id_domain(address: str) -> str:
    domain = address.rpartition("@")[2]
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "localhost"


def compose(*, sender: str, to: str, rendered: Rendered, language: str) -> EmailMessage:
    """A multipart/alternative mail (text, then HTML) from ``sender`` to ``to``."""
    from_address = _address(sender, "sender", display_name=True)
    to_address = _address(to, "recipient", display_name=False)
    # Non-ASCII addresses can only travel raw (SMTPUTF8), never RFC 2047-encoded.
    ascii_only = (from_address + to_address).isascii()
    message = EmailMessage(policy=email.policy.SMTP if ascii_only else email.policy.SMTPUTF8)
    message["From"] = sender
    message["To"] = to_address
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(_message_id_domain(from_address))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    # After the parts: add_alternative moves every Content-* header into the first.
    message["Content-Language"] = language
    # Set here, not left to the generator, which draws it from the random module.
    message.set_boundary(f"=_{secrets.token_hex(16)}")
    return message


def message_id(domain: str) -> str:
    """A unique Message-ID (RFC 5322 §3.6.4) from the OS CSPRNG. Not
    ``email.utils.make_msgid`` (nor the generator's default MIME boundary): they
    draw from the ``random`` module's shared state, which a background sender must
    leave alone (hypothesis refuses a draw during which that state moved, so the
    fuzz tests failed while mails went out)."""
    return f"<{secrets.token_hex(16)}@{domain}>"
