"""Refresh tokens: opaque random strings, stored only as SHA-256 hashes.

A token is 256 bits from the OS CSPRNG (``secrets``), URL-safe base64. Rotation
replaces it at every use (RFC 9700 §4.14.2). For the optional grace period, the
retired token's row keeps its successor sealed with AES-GCM under a key derived
from the retired token itself: only a holder of that token can open it, and the
database still holds no usable token.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from authgate.core.digests import token_digest

_TOKEN_BYTES = 32
_MAX_TOKEN_CHARS = 256
_NONCE_BYTES = 12


def new_refresh_token() -> str:
    """A fresh opaque refresh token."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    """The stored form of a refresh token (:func:`~authgate.core.digests.token_digest`)."""
    return token_digest(token)


def is_plausible(token: object) -> bool:
    """Cheap shape check before any lookup."""
    return isinstance(token, str) and 0 < len(token) <= _MAX_TOKEN_CHARS


def _box_key(old_token: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"authgate successor v1"
    ).derive(old_token.encode("utf-8", "surrogatepass"))


def seal_successor(old_token: str, successor: str) -> bytes:
    """Encrypt ``successor`` so that only a holder of ``old_token`` can read it."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(_box_key(old_token)).encrypt(nonce, successor.encode(), None)


def open_successor(old_token: str, box: bytes) -> str | None:
    """The successor sealed by :func:`seal_successor`, or None if it cannot be opened."""
    try:
        nonce, sealed = box[:_NONCE_BYTES], box[_NONCE_BYTES:]
        return AESGCM(_box_key(old_token)).decrypt(nonce, sealed, None).decode()
    except (InvalidTag, ValueError):
        return None
