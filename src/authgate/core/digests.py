"""The stored form of a high-entropy secret the server hands out (refresh tokens,
link tokens, mfa tokens, WebAuthn flows, recovery codes): hex SHA-256. The
secrets come from the OS CSPRNG, so a fast hash suffices: no salt, no stretching."""

from __future__ import annotations

import hashlib


def token_digest(value: str) -> str:
    """Hex SHA-256 of ``value`` (UTF-8; lone surrogates kept, never an error)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
