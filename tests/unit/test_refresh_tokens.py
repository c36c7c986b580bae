"""Refresh tokens: entropy, hashing, the sealed successor."""

from __future__ import annotations

import base64

from authgate.core import refresh


def test_tokens_are_256_bit_and_distinct() -> None:
    """32 random bytes, URL-safe; no two alike."""
    tokens = {refresh.new_refresh_token() for _ in range(1000)}
    assert len(tokens) == 1000
    sample = next(iter(tokens))
    assert len(base64.urlsafe_b64decode(sample + "=")) == 32


def test_only_the_hash_is_stored() -> None:
    """The stored form is a SHA-256 hex digest, not the token."""
    token = refresh.new_refresh_token()
    digest = refresh.hash_refresh_token(token)
    assert len(digest) == 64 and token not in digest


def test_successor_opens_only_with_the_old_token() -> None:
    """The sealed successor is readable by the holder of the retired token alone."""
    old, new = refresh.new_refresh_token(), refresh.new_refresh_token()
    box = refresh.seal_successor(old, new)
    assert new.encode() not in box
    assert refresh.open_successor(old, box) == new
    assert refresh.open_successor(refresh.new_refresh_token(), box) is None
    assert refresh.open_successor(old, box[:-1] + bytes([box[-1] ^ 1])) is None
    assert refresh.open_successor(old, b"") is None
