"""Mail: templates (``templates``), composing a message (``message``) and delivering
it through SMTP or into the outbox directory (``transport``).

It may import ``authgate.core.settings``; ``core/`` never imports it.
"""

from authgate.mail.message import MailAddressError, compose
from authgate.mail.templates import KINDS, LANGUAGES, MailTemplates, Rendered
from authgate.mail.transport import (
    MailDeliveryError,
    OutboxEntry,
    OutboxTransport,
    SmtpTransport,
    Transport,
    list_outbox,
    transport_for,
)

__all__ = [
    "KINDS",
    "LANGUAGES",
    "MailAddressError",
    "MailDeliveryError",
    "MailTemplates",
    "OutboxEntry",
    "OutboxTransport",
    "Rendered",
    "SmtpTransport",
    "Transport",
    "compose",
    "list_outbox",
    "transport_for",
]
