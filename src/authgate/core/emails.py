"""Email addresses: validated with email-validator, compared without letter case."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from authgate.core.errors import ValidationFailed

MAX_EMAIL_CHARS = 320
#: Text of ASCII letters, digits and the dot-atom's other characters (RFC 5322
#: §3.2.3) around one "@": no quotes, spaces, brackets, comments or non-ASCII, so
#: nothing the validator would rewrite but the letters' case.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


def normalize_email(raw: str) -> tuple[str, str]:
    """Validate an address; return it normalised (RFC 5321/6531) and its lookup key.

    The key is the whole address in lower case: emails are unique regardless of
    letter case (API.md §3).

    Raises:
        ValidationFailed: not a deliverable-looking address.
    """
    try:
        info = validate_email(raw, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"invalid email: {exc}") from None
    return info.normalized, email_key(info.normalized)


def email_key(email: str) -> str:
    """The case-insensitive lookup key of an address (no validation)."""
    return email.strip().lower()


def login_key(raw: str) -> str:
    """The lookup key for a login attempt: normalised if valid, else as typed.

    Login never answers "invalid email": an address that cannot exist simply
    matches no account, like any unknown one. So a plain ASCII address has the same
    key whether it is valid or not, its text in lower case, and a login spares
    email-validator's work on it (tests check that both ways give the same key).
    """
    if _PLAIN_ADDRESS.fullmatch(raw):
        return raw.lower()
    try:
        return normalize_email(raw)[1]
    except ValidationFailed:
        return email_key(raw)


def is_storable(text: str) -> bool:
    """False for text no database column should take: NUL bytes, lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
