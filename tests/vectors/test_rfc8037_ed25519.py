"""RFC 8037 Appendix A: the Ed25519 key (A.1, A.2) and JWS (A.4, A.5), under EdDSA.

Ed25519 is deterministic, so A.4's token is reproduced byte for byte with A.1's
private key, and A.5's verification runs through authgate's header check, JWK
import and parser. A.3's thumbprint has its own test (test_rfc7638_thumbprint.py);
here it is only the ``kid`` authgate gives the key. A.6 and A.7 (ECDH-ES with
X25519 and X448) are key agreement, not signatures, and are left out.
"""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from authgate.core.jose import _JWS, SigningKey, TokenRules, key_from_jwk, public_jwk, read_header
from tests.vectors.jws_helpers import PAYLOAD, SIGNATURE, b64, flip_bit, unb64

# RFC 8037 §A.1: the Ed25519 private key.
PRIVATE_A1 = {
    "kty": "OKP",
    "crv": "Ed25519",
    "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}
# RFC 8037 §A.2: its public key.
PUBLIC_A2 = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
# RFC 8037 §A.3: the public key's RFC 7638 thumbprint.
THUMBPRINT_A3 = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
# RFC 8037 §A.4: the payload, the protected header {"alg":"EdDSA"} and the JWS.
PAYLOAD_A4 = b"Example of Ed25519 signing"
HEADER_A4 = "eyJhbGciOiJFZERTQSJ9"
COMPACT_A4 = (
    f"{HEADER_A4}.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def _signing_key() -> SigningKey:
    """§A.1 through PyJWT's JWK import (which checks that ``x`` belongs to ``d``),
    with no ``kid``: authgate names the key by its thumbprint."""
    return SigningKey("EdDSA", None, jwt.PyJWK(PRIVATE_A1, "EdDSA").key)


def _key_from_rfc() -> SigningKey:
    """§A.2 imported by authgate (the RFC's key names no ``kid`` or ``alg``, which
    authgate requires: the test gives it §A.3's thumbprint and EdDSA)."""
    return key_from_jwk({**PUBLIC_A2, "kid": THUMBPRINT_A3, "alg": "EdDSA"}, ["EdDSA"])


def _key_from_published() -> SigningKey:
    """The JWK authgate publishes for §A.1's private key, imported back."""
    return key_from_jwk(public_jwk(_signing_key()), ["EdDSA"])


KEYS = [
    pytest.param(_key_from_rfc, id="rfc8037-a.2-jwk"),
    pytest.param(_key_from_published, id="public-jwk-of-a.1"),
]


def test_private_key_has_the_public_key() -> None:
    """§A.1, §A.2: the 32-octet seed ``d`` alone gives the public key ``x``."""
    private = Ed25519PrivateKey.from_private_bytes(unb64(PRIVATE_A1["d"]))
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert b64(raw) == PUBLIC_A2["x"]


def test_public_jwk_of_the_private_key() -> None:
    """§A.1 to §A.3: authgate publishes §A.2's members for §A.1's private key, with
    §A.3's thumbprint as the ``kid``."""
    assert public_jwk(_signing_key()) == {
        **PUBLIC_A2,
        "kid": THUMBPRINT_A3,
        "alg": "EdDSA",
        "use": "sig",
    }


def test_a4_jws_is_reproduced() -> None:
    """§A.4: signing the payload under {"alg":"EdDSA"} gives the RFC's JWS exactly."""
    key = _signing_key()
    token = _JWS.encode(PAYLOAD_A4, key.key, algorithm="EdDSA", headers={"typ": None})
    assert token == COMPACT_A4


@pytest.mark.parametrize("make_key", KEYS)
def test_a5_jws_verifies(make_key: Callable[[], SigningKey]) -> None:
    """§A.5: the header passes authgate's check, the signature verifies with the
    public key (as the RFC gives it, and as authgate publishes it), and the payload
    is §A.4's."""
    key = make_key()
    header = read_header(COMPACT_A4, TokenRules(algorithms=frozenset({"EdDSA"})))
    assert header == {"alg": "EdDSA"}
    decoded = _JWS.decode_complete(COMPACT_A4, key.key, algorithms=["EdDSA"])
    assert decoded["header"] == header
    assert decoded["payload"] == PAYLOAD_A4


@pytest.mark.parametrize("segment", [PAYLOAD, SIGNATURE], ids=["payload", "signature"])
def test_a5_one_bit_changed_is_refused(segment: int) -> None:
    """§A.5: one bit flipped in the payload or the signature fails verification."""
    key = _key_from_rfc()
    with pytest.raises(jwt.InvalidSignatureError):
        _JWS.decode_complete(flip_bit(COMPACT_A4, segment), key.key, algorithms=["EdDSA"])
