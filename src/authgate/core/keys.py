"""Signing keys: the HS256 secret (generated once if not configured) and the key ring.

A :class:`KeyRing` holds the one key that signs and every key that may verify,
by ``kid``. Under HS256 there is one secret and no ``kid``. A ring loaded from a
key directory (EdDSA, ES256, RS256: :mod:`authgate.core.keystore`) carries that
directory as its ``source``, which the token issuer consults to pick up rotations.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from authgate.core.errors import ConfigurationError
from authgate.core.settings import MIN_SECRET_BYTES, Settings

log = logging.getLogger("authgate")

SECRET_FILE = "authgate.secret"

#: RFC 7638 §3.2: the members of each key type that its thumbprint covers.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One JWS key: its algorithm, its ``kid`` (None under HS256) and the key itself
    (the shared secret, a private key that signs or a public key that verifies)."""

    algorithm: str
    kid: str | None
    key: Any = field(repr=False)


class KeySource(Protocol):
    """Where a newer ring comes from (a key directory that may be rotated)."""

    def ring(self, now: float, *, unknown_kid: bool = False) -> KeyRing:
        """The ring in force at ``now``; ``unknown_kid`` asks for an early re-check."""
        ...


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The signing key plus every key accepted for verification, by ``kid``.

    A ring is a value: rotation produces a new ring (from ``source``).
    """

    signing: SigningKey | None
    verifying: Mapping[str | None, SigningKey] = field(default_factory=dict, repr=False)
    public_jwks: tuple[dict[str, Any], ...] = ()
    source: KeySource | None = field(default=None, repr=False, compare=False)

    @property
    def algorithm(self) -> str:
        """The algorithm new tokens are signed with."""
        if self.signing is None:
            raise ValueError("this key ring only verifies")
        return self.signing.algorithm

    def key_for(self, kid: str | None) -> SigningKey | None:
        """The verification key for ``kid``, or None if this ring does not hold it."""
        return self.verifying.get(kid)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JWK Set (RFC 7517 §5); empty under HS256."""
        return {"keys": [dict(jwk) for jwk in self.public_jwks]}

    @classmethod
    def hmac(cls, secret: bytes) -> KeyRing:
        """A ring for HS256 with one shared secret."""
        key = SigningKey("HS256", None, secret)
        return cls(key, {None: key})


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK: SHA-256, base64url without padding.

    Raises:
        ValueError: the key type is not EC, RSA or OKP, or a member is missing.
    """
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None or any(not isinstance(jwk.get(name), str) for name in members):
        raise ValueError("not a public EC, RSA or OKP JWK")
    # §3.3: members in lexicographic order, no whitespace, UTF-8.
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _publish_private(path: Path, data: bytes) -> bool:
    """Create ``path`` holding ``data``, mode 0600, all at once: the bytes are written
    and synced to a private temporary file first, then linked into place, so no
    reader ever sees the file empty or half-written (a crash leaves only the
    temporary file). False if ``path`` existed already (another process won)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if the name is taken
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def load_or_create_secret(settings: Settings, *, create: bool = True) -> bytes:
    """The HS256 secret: ``AUTHGATE_SECRET``, else a generated one kept in a 0600 file.

    Raises:
        ConfigurationError: the stored secret is unreadable or too short (or
            missing, and ``create`` is False).
    """
    if settings.secret is not None:
        return settings.secret.get_secret_value().encode()
    path = settings.state_dir / SECRET_FILE
    if not create and not path.exists():
        raise ConfigurationError(f"AUTHGATE_SECRET: not set, and no generated secret in {path}")
    try:
        if not path.exists() and _publish_private(path, secrets.token_urlsafe(48).encode()):
            log.warning(
                "AUTHGATE_SECRET is not set: generated a signing secret in %s "
                "(set AUTHGATE_SECRET to share one between instances)",
                path,
            )
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


def load_key_ring(settings: Settings, *, create: bool = True) -> KeyRing:
    """Build the key ring the settings call for.

    Args:
        settings: the configuration.
        create: generate a missing secret or key (first start); False only reads.

    Raises:
        ConfigurationError: a secret or key cannot be loaded.
    """
    if settings.algorithm == "HS256":
        return KeyRing.hmac(load_or_create_secret(settings, create=create))
    from authgate.core.keystore import load_asymmetric_ring

    return load_asymmetric_ring(settings, create=create)
