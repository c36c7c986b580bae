"""Language negotiation and email normalisation."""

from __future__ import annotations

import pytest

from authgate.core.emails import login_key, normalize_email
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
