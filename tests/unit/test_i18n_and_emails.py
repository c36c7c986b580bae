"""Language negotiation and email normalisation."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authgate.core.emails import email_key, login_key, normalize_email
from authgate.core.errors import ValidationFailed
from authgate.core.i18n import MESSAGES, message, negotiate


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("ko", "ko"),
        ("ko-KR", "ko"),
        ("en;q=0.5, ko;q=0.8", "ko"),
        ("ko;q=0, en", "en"),
        ("de, fr", "en"),
        ("*", "en"),
    ],
)
def test_negotiate(header: str | None, language: str) -> None:
    assert negotiate(header) == language


def test_every_code_has_both_languages() -> None:
    """No message is missing in Korean."""
    assert set(MESSAGES["en"]) == set(MESSAGES["ko"])
    assert message("token_missing", "ko") == "토큰이 없습니다"
    assert message("unknown_code", "ko") == "unknown_code"


def test_emails_are_keyed_without_case() -> None:
    """The display form keeps the local part; the key is lower case."""
    display, key = normalize_email("Alice@EXAMPLE.com")
    assert display == "Alice@example.com"
    assert key == "alice@example.com"
    assert login_key("ALICE@example.COM") == key


def test_invalid_emails() -> None:
    with pytest.raises(ValidationFailed):
        normalize_email("not an email")
    assert login_key("not an email") == "not an email"


_ATOM = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~.-"
_DOMAIN = string.ascii_letters + string.digits + ".-"


def _validated_key(raw: str) -> str:
    """login_key as it was before its shortcut: validate, else the text as typed."""
    try:
        return normalize_email(raw)[1]
    except ValidationFailed:
        return email_key(raw)


@settings(deadline=None)  # a stalled CI machine is not a failure of the keying
@given(
    local=st.text(alphabet=_ATOM, min_size=1, max_size=70),
    labels=st.lists(st.text(alphabet=_DOMAIN, min_size=1, max_size=20), min_size=1, max_size=4),
)
def test_a_plain_address_is_keyed_as_the_validator_would(local: str, labels: list[str]) -> None:
    """The shortcut for plain ASCII addresses gives the key validation would give,
    for valid and invalid ones alike (dots doubled or at the ends, bad labels,
    too long)."""
    raw = f"{local}@{'.'.join(labels)}"
    assert login_key(raw) == _validated_key(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "Alice@Example.COM",
        "a.b+tag@sub.example.org",
        "x@localhost",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example..com",
        "a@example.com.",
        "user@123.123.123.123",
        "o'brien@example.ie",
        " Alice@example.com ",
        '"quoted"@example.com',
        "Jöran@Bücher.example",
        "a@[127.0.0.1]",
        "Name <a@example.com>",
        "x" * 300 + "@example.com",
    ],
)
def test_login_keys_agree_with_validation(raw: str) -> None:
    assert login_key(raw) == _validated_key(raw)
