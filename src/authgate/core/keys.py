"""The key ring: the key that signs and every key that may verify, by ``kid``.

Under HS256 there is one secret and no ``kid``. A ring built from a key directory
(EdDSA, ES256, RS256) carries a :class:`KeySource` (the port, implemented in
:mod:`authgate.storage.keysource`), which the token issuer asks for the ring in
force, so rotations are picked up. :class:`KeyRecord` is one key of a directory's
manifest; :mod:`authgate.core.rotation` says what a set of them does at ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from authgate.core.jose import SigningKey


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


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRecord:
    """One key of the manifest (times in epoch seconds)."""

    kid: str
    algorithm: str
    created_at: int
    signs_from: int
    retired_at: int | None = None

    def drops_at(self, window: int) -> int | None:
        """When it leaves the JWKS: retirement plus one token lifetime and leeway."""
        return None if self.retired_at is None else self.retired_at + window

    def is_published(self, now: float, window: int) -> bool:
        drops = self.drops_at(window)
        return drops is None or now < drops
