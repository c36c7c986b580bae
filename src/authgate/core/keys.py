"""Signing keys: the HS256 secret (generated once if not configured) and the key ring.

A :class:`KeyRing` holds the one key that signs and every key that may verify,
by ``kid``. Under HS256 there is one secret and no ``kid``.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authgate.core.errors import ConfigurationError
from authgate.core.settings import MIN_SECRET_BYTES, Settings

log = logging.getLogger("authgate")

SECRET_FILE = "authgate.secret"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A key that signs: its algorithm, its ``kid`` (None under HS256), the key."""

    algorithm: str
    kid: str | None
    key: Any = field(repr=False)


@dataclass(slots=True)
class KeyRing:
    """The signing key plus every key accepted for verification, by ``kid``."""

    signing: SigningKey
    verifying: dict[str | None, Any] = field(default_factory=dict, repr=False)
    public_jwks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def algorithm(self) -> str:
        return self.signing.algorithm

    def key_for(self, kid: str | None) -> Any | None:
        """The verification key for ``kid``, or None if this ring does not hold it."""
        return self.verifying.get(kid)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JWK Set (RFC 7517 §5); empty under HS256."""
        return {"keys": list(self.public_jwks)}

    @classmethod
    def hmac(cls, secret: bytes) -> KeyRing:
        """A ring for HS256 with one shared secret."""
        return cls(SigningKey("HS256", None, secret), {None: secret})


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 (never readable by others, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_or_create_secret(settings: Settings) -> bytes:
    """The HS256 secret: ``AUTHGATE_SECRET``, else a generated one kept in a 0600 file.

    Raises:
        ConfigurationError: the stored secret is unreadable or too short.
    """
    if settings.secret is not None:
        return settings.secret.get_secret_value().encode()
    path = settings.state_dir / SECRET_FILE
    try:
        if not path.exists():
            try:
                _write_private(path, secrets.token_urlsafe(48).encode())
                log.warning(
                    "AUTHGATE_SECRET is not set: generated a signing secret in %s "
                    "(set AUTHGATE_SECRET to share one between instances)",
                    path,
                )
            except FileExistsError:  # another process created it first
                pass
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigurationError(
            f"AUTHGATE_SECRET: not set, and the generated secret file {path} "
            f"cannot be used ({exc.strerror})"
        ) from None
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"AUTHGATE_SECRET: the stored secret in {path} is shorter than {MIN_SECRET_BYTES} bytes"
        )
    return secret


def load_key_ring(settings: Settings) -> KeyRing:
    """Build the key ring the settings call for.

    Raises:
        ConfigurationError: a secret or key cannot be loaded.
    """
    if settings.algorithm == "HS256":
        return KeyRing.hmac(load_or_create_secret(settings))
    from authgate.core.keystore import load_asymmetric_ring

    return load_asymmetric_ring(settings)
