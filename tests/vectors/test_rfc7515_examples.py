"""RFC 7515 Appendix A: the JWS examples for HS256 (A.1), RS256 (A.2) and ES256 (A.3).

The tokens verify through authgate's parser (``authgate.core.jose._JWS``), its
header check (``read_header``) and its JWK import (``key_from_jwk``); the
deterministic signatures (HMAC, RSASSA-PKCS1-v1_5) are reproduced byte for byte.
A.4 (ES512) is not an authgate algorithm and is left out; A.5 (``"alg":"none"``)
is here only to be refused.

The RFC's payload is not an access token (no ``iat``, ``sub``, ``jti``, ``email``), so
past A.1's check through ``signed_claims`` the tests stay at the JWS layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest
from jwt.algorithms import get_default_algorithms

from authgate.core.errors import TokenExpired, TokenInvalid
from authgate.core.jose import (
    _JWS,
    SigningKey,
    TokenRules,
    key_from_jwk,
    public_jwk,
    read_header,
    signed_claims,
)
from authgate.core.keys import KeyRing
from authgate.core.tokens import TokenVerifier
from tests.vectors.jws_helpers import PAYLOAD, SIGNATURE, b64, flip_bit, signing_input, unb64

# RFC 7515 §A.1.1 (and A.2.1, A.3.1): the JWS Payload, its bytes and its base64url.
PAYLOAD_BYTES = b'{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}'
PAYLOAD_B64 = (
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
)

# RFC 7515 §A.1.1: the HMAC key (RFC 7517 §A.3 names it "HMAC key used in JWS A.1
# example"), the protected header {"typ":"JWT",\r\n "alg":"HS256"} and the signature.
A1_JWK = {
    "kty": "oct",
    "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
}
A1_HEADER = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
A1_SIGNATURE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
A1_TOKEN = f"{A1_HEADER}.{PAYLOAD_B64}.{A1_SIGNATURE}"

# RFC 7515 §A.2.1: the RSA key, the protected header {"alg":"RS256"} and the signature.
A2_JWK = {
    "kty": "RSA",
    "n": (
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEz"
        "P1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf6"
        "3kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5Zw"
        "Kh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRW"
        "yuXpoQ"
    ),
    "e": "AQAB",
    "d": (
        "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7Y"
        "wVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3M"
        "kqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1Zd"
        "iYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRu"
        "OopznQ"
    ),
    "p": (
        "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB"
        "0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDw"
        "GUc"
    ),
    "q": (
        "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul"
        "7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9R"
        "Wdc"
    ),
    "dp": (
        "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz"
        "-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAd"
        "Yo0"
    ),
    "dq": (
        "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3"
        "Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIi"
        "THU"
    ),
    "qi": (
        "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3"
        "ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFku"
        "Q3U"
    ),
}
A2_HEADER = "eyJhbGciOiJSUzI1NiJ9"
A2_SIGNATURE = (
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt"
    "_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArL"
    "IARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7no"
    "OPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQ"
    "Ge77Rw"
)
A2_TOKEN = f"{A2_HEADER}.{PAYLOAD_B64}.{A2_SIGNATURE}"

# RFC 7515 §A.3.1: the P-256 key, the protected header {"alg":"ES256"} and the
# signature (R || S, §A.3.1; ECDSA is randomized, so it can only be verified).
A3_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
}
A3_HEADER = "eyJhbGciOiJFUzI1NiJ9"
A3_SIGNATURE = (
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)
A3_TOKEN = f"{A3_HEADER}.{PAYLOAD_B64}.{A3_SIGNATURE}"

# RFC 7515 §A.5: the unsecured JWS, {"alg":"none"} and an empty signature.
A5_TOKEN = f"eyJhbGciOiJub25lIn0.{PAYLOAD_B64}."

#: The claims the payload holds (RFC 7515 §A.1.1).
PAYLOAD_EXP = 1300819380
PAYLOAD_CLAIMS = {"iss": "joe", "exp": PAYLOAD_EXP, "http://example.com/is_root": True}

_PUBLIC_MEMBERS = {"RSA": ("kty", "n", "e"), "EC": ("kty", "crv", "x", "y")}


def _public(jwk: dict[str, str], algorithm: str) -> dict[str, str]:
    """The public half of an RFC key as authgate imports it: the RFC's JWKs carry
    no ``kid`` or ``alg``, which ``key_from_jwk`` requires, so the test names them."""
    members = {name: jwk[name] for name in _PUBLIC_MEMBERS[jwk["kty"]]}
    return {**members, "kid": f"rfc7515-{algorithm.lower()}", "alg": algorithm}


def _hmac_key() -> SigningKey:
    key = KeyRing.hmac(unb64(A1_JWK["k"])).key_for(None)
    assert key is not None
    return key


def _rs256_key() -> SigningKey:
    return key_from_jwk(_public(A2_JWK, "RS256"), ["RS256"])


def _es256_key() -> SigningKey:
    return key_from_jwk(_public(A3_JWK, "ES256"), ["ES256"])


def _private(jwk: dict[str, str], algorithm: str) -> SigningKey:
    """A signing key from the RFC's private JWK (PyJWT's JWK import)."""
    return SigningKey(algorithm, f"rfc7515-{algorithm.lower()}", jwt.PyJWK(jwk, algorithm).key)


EXAMPLES = [
    pytest.param(A1_TOKEN, _hmac_key, {"typ": "JWT", "alg": "HS256"}, id="rfc7515-a.1-hs256"),
    pytest.param(A2_TOKEN, _rs256_key, {"alg": "RS256"}, id="rfc7515-a.2-rs256"),
    pytest.param(A3_TOKEN, _es256_key, {"alg": "ES256"}, id="rfc7515-a.3-es256"),
]


def test_payload_is_the_rfcs_octets() -> None:
    """The base64url payload decodes to the CR LF separated JSON of §A.1.1."""
    assert unb64(PAYLOAD_B64) == PAYLOAD_BYTES
    assert b64(PAYLOAD_BYTES) == PAYLOAD_B64


@pytest.mark.parametrize(("token", "make_key", "header"), EXAMPLES)
def test_example_verifies(
    token: str, make_key: Callable[[], SigningKey], header: dict[str, Any]
) -> None:
    """§A.1.2, §A.2.2, §A.3.2: the header passes authgate's check, the signature
    verifies with the RFC's key, and the payload is the RFC's bytes."""
    key = make_key()
    assert read_header(token, TokenRules(algorithms=frozenset({key.algorithm}))) == header
    decoded = _JWS.decode_complete(token, key.key, algorithms=[key.algorithm])
    assert decoded["header"] == header
    assert decoded["payload"] == PAYLOAD_BYTES


@pytest.mark.parametrize("segment", [PAYLOAD, SIGNATURE], ids=["payload", "signature"])
@pytest.mark.parametrize(("token", "make_key", "header"), EXAMPLES)
def test_one_bit_changed_is_refused(
    token: str, make_key: Callable[[], SigningKey], header: dict[str, Any], segment: int
) -> None:
    """One bit flipped in the payload or the signature fails verification."""
    key = make_key()
    with pytest.raises(jwt.InvalidSignatureError):
        _JWS.decode_complete(flip_bit(token, segment), key.key, algorithms=[key.algorithm])


def test_a1_passes_signed_claims() -> None:
    """§A.1: the HS256 example (``typ`` JWT, no ``kid``) goes through authgate's
    ``signed_claims`` with an HS256 ring holding the RFC's key; one changed bit
    does not."""
    ring = KeyRing.hmac(unb64(A1_JWK["k"]))
    rules = TokenRules(algorithms=frozenset({"HS256"}))
    assert signed_claims(A1_TOKEN, ring, rules) == PAYLOAD_CLAIMS
    with pytest.raises(TokenInvalid):
        signed_claims(flip_bit(A1_TOKEN, SIGNATURE), ring, rules)


def test_a1_is_not_an_access_token() -> None:
    """A genuine signature does not make §A.1's JWT an access token: it has no
    ``iat``, so it is refused as invalid even before its ``exp`` (2011)."""
    verifier = TokenVerifier(KeyRing.hmac(unb64(A1_JWK["k"])), algorithms=["HS256"])
    with pytest.raises(TokenInvalid) as refused:
        verifier.verify(A1_TOKEN, now=PAYLOAD_EXP - 60)
    assert not isinstance(refused.value, TokenExpired)


def test_a1_signature_is_reproduced() -> None:
    """§A.1.1: HMAC SHA-256 of the exact signing input gives the RFC's signature.

    A.1's header has a CR LF in it, which no encoder writes, so the signing
    input is signed as given, with the algorithm authgate signs through.
    """
    hs256 = get_default_algorithms()["HS256"]
    key = hs256.prepare_key(unb64(A1_JWK["k"]))
    assert b64(hs256.sign(signing_input(A1_TOKEN), key)) == A1_SIGNATURE


def test_a2_token_is_reproduced() -> None:
    """§A.2.1: RSASSA-PKCS1-v1_5 is deterministic: encoding the payload with the
    RFC's private key gives the RFC's token, header and signature included."""
    signing = _private(A2_JWK, "RS256")
    token = _JWS.encode(PAYLOAD_BYTES, signing.key, algorithm="RS256", headers={"typ": None})
    assert token == A2_TOKEN


@pytest.mark.parametrize(
    ("jwk", "algorithm"),
    [
        pytest.param(A2_JWK, "RS256", id="rfc7515-a.2-rs256"),
        pytest.param(A3_JWK, "ES256", id="rfc7515-a.3-es256"),
    ],
)
def test_public_jwk_of_the_private_key(jwk: dict[str, str], algorithm: str) -> None:
    """§A.2.1, §A.3.1: authgate publishes the RFC's public members for the RFC's
    private key, and the published JWK imports back into a key that verifies."""
    signing = _private(jwk, algorithm)
    published = public_jwk(signing)
    assert published == {**_public(jwk, algorithm), "use": "sig"}
    token = {"RS256": A2_TOKEN, "ES256": A3_TOKEN}[algorithm]
    key = key_from_jwk(published, [algorithm])
    assert _JWS.decode_complete(token, key.key, algorithms=[algorithm])["payload"] == PAYLOAD_BYTES


def test_a3_fresh_signature_verifies_with_the_rfc_key() -> None:
    """§A.3: ECDSA is randomized, so the RFC's signature cannot be reproduced; a
    new one over the same signing input verifies with the RFC's public key."""
    signing = _private(A3_JWK, "ES256")
    token = _JWS.encode(PAYLOAD_BYTES, signing.key, algorithm="ES256", headers={"typ": None})
    assert signing_input(token) == signing_input(A3_TOKEN)
    assert len(unb64(token.rsplit(".", 1)[1])) == 64  # R || S, 32 octets each (§A.3.1)
    key = _es256_key()
    assert _JWS.decode_complete(token, key.key, algorithms=["ES256"])["payload"] == PAYLOAD_BYTES


@pytest.mark.parametrize("algorithm", ["HS256", "RS256", "ES256", "EdDSA"])
def test_a5_unsecured_jws_is_refused(algorithm: str) -> None:
    """§A.5: ``"alg":"none"`` is refused by the header check whatever authgate is
    configured with, before any key is looked up."""
    with pytest.raises(TokenInvalid, match="algorithm not allowed"):
        read_header(A5_TOKEN, TokenRules(algorithms=frozenset({algorithm})))
