"""What the mail tests share: the context each kind of mail gets, a composed mail."""

from __future__ import annotations

from email.message import EmailMessage

from authgate.mail import compose
from authgate.mail.templates import MailTemplates

SENDER = "authgate <no-reply@auth.example.com>"
PUBLIC_URL = "https://auth.example.com"
TOKEN = "tok_0123456789abcdefXYZ"


def context(kind: str, email: str = "alice@example.com") -> dict[str, str]:
    """The variables the lead's flows give each kind."""
    values = {"email": email, "public_url": PUBLIC_URL}
    link = f"{PUBLIC_URL}/{kind}?token={TOKEN}"
    if kind == "verify":
        values.update(link=link, hours="24")
    elif kind == "reset":
        values.update(link=link, minutes="30")
    elif kind == "email_change":
        values.update(link=link, hours="24", new_email=email)
    elif kind == "email_changed":
        values.update(new_email="new@example.com")
    return values


def a_mail(
    to: str = "alice@example.com", *, kind: str = "verify", language: str = "en"
) -> EmailMessage:
    rendered = MailTemplates().render(kind, language, **context(kind, to))
    return compose(sender=SENDER, to=to, rendered=rendered, language=language)
