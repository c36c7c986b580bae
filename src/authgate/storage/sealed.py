"""Values at rest (queued mails, authenticator-app secrets): sealed with AES-GCM under a
key derived from the server secret.

A queued mail carries a live link token until it is sent; a copy of the database
(a backup, a replica) must not yield one. The key is HKDF-derived from the secret
the instances share (``AUTHGATE_SECRET``, or the generated one beside the database).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_INFO = b"authgate data at rest v1"


class SealError(ValueError):
    """A sealed value that this key cannot open (tampered, or another secret's)."""


class Sealer:
    """Seal and open JSON values (the associated data binds each to its purpose)."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, value: Any, purpose: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        plain = json.dumps(value, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, plain, purpose.encode())

    def open(self, box: bytes, purpose: str) -> Any:
        """Raises SealError if the box was not sealed by this key for ``purpose``."""
        try:
            plain = self._aead.decrypt(box[:_NONCE_BYTES], box[_NONCE_BYTES:], purpose.encode())
            return json.loads(plain)
        except (InvalidTag, ValueError) as exc:
            raise SealError("cannot open a sealed value") from exc
