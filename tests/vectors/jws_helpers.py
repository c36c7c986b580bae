"""Shared by the JWS example modules: base64url segments and one-bit tampering."""

from __future__ import annotations

from jwt.utils import base64url_decode, base64url_encode

#: The three segments of a JWS compact serialization (RFC 7515 §7.1).
HEADER, PAYLOAD, SIGNATURE = 0, 1, 2


def b64(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64url_encode(data).decode()


def unb64(segment: str) -> bytes:
    """The bytes of one base64url segment."""
    return base64url_decode(segment)


def signing_input(token: str) -> bytes:
    """ASCII(header '.' payload): what the signature covers (RFC 7515 §5.1)."""
    return token.rsplit(".", 1)[0].encode()


def flip_bit(token: str, segment: int) -> str:
    """``token`` with the lowest bit of the first byte of one segment flipped.

    The bit is flipped in the decoded bytes, which are then re-encoded: changing a
    base64url character instead could touch only the unused trailing bits.
    """
    parts = token.split(".")
    raw = bytearray(unb64(parts[segment]))
    raw[0] ^= 1
    parts[segment] = b64(bytes(raw))
    return ".".join(parts)
