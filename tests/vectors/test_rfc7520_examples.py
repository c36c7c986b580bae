"""RFC 7520 §4: the JOSE cookbook's signatures with authgate's algorithms.

§4.1 (RSA v1.5, RS256) and §4.4 (HMAC-SHA2, HS256), compact serialization: the
given results verify through authgate's header check, JWK import and parser, and
both are deterministic, so encoding the §4 payload with the §3 keys reproduces
them byte for byte. §4.2 (PS384) and §4.3 (ES512) are not authgate algorithms
and are left out, as are the JSON serializations and §4.5 to §4.8 (detached
content, unprotected headers, several signatures: none of them compact tokens).
"""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest

from authgate.core.jose import (
    _JWS,
    SigningKey,
    TokenRules,
    UnknownKid,
    key_from_jwk,
    public_jwk,
    read_header,
    signed_claims,
)
from authgate.core.keys import KeyRing
from tests.vectors.jws_helpers import PAYLOAD, SIGNATURE, b64, flip_bit, unb64

# RFC 7520 §3.3: the RSA public key.
RSA_PUBLIC_3_3 = {
    "kty": "RSA",
    "kid": "bilbo.baggins@hobbiton.example",
    "use": "sig",
    "n": (
        "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZ"
        "QHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oB"
        "HqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVb"
        "b9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHd"
        "rNP5zw"
    ),
    "e": "AQAB",
}
# RFC 7520 §3.4: the RSA private key (the same kty, kid, use, n and e as §3.3).
RSA_PRIVATE_3_4 = {
    **RSA_PUBLIC_3_3,
    "d": (
        "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1i"
        "rkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMw"
        "WWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOY"
        "JoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOp"
        "BrQzwQ"
    ),
    "p": (
        "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk"
        "8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bU"
        "q0k"
    ),
    "q": (
        "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3M"
        "P15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7"
        "pFc"
    ),
    "dp": (
        "B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-TanevuRPRt5OB"
        "OdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59e"
        "hik"
    ),
    "dq": (
        "CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTx"
        "YWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1c"
        "YF8"
    ),
    "qi": (
        "3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaK"
        "e-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8a"
        "aI4"
    ),
}
# RFC 7520 §3.5: the symmetric key for MAC computation.
HMAC_KEY_3_5 = {
    "kty": "oct",
    "kid": "018c0ae5-4d9b-471b-bfd6-eef314bc7037",
    "use": "sig",
    "alg": "HS256",
    "k": "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg",
}

# RFC 7520 §4: the payload content (the apostrophes in "It's" and "there's" are
# U+2019, the one in "don't" is ASCII) and its base64url.
PAYLOAD_TEXT = (
    "It\u2019s a dangerous business, Frodo, going out your door. You step onto the road,"
    " and if you don't keep your feet, there\u2019s no knowing where you might be swept"
    " off to."
)
PAYLOAD_B64 = (
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0"
    "ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5v"
    "IGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"
)

# RFC 7520 §4.1.2 and §4.1.3: RS256, {"alg":"RS256","kid":"bilbo.baggins@hobbiton.example"}.
RS256_HEADER_4_1 = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
RS256_SIGNATURE_4_1 = (
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996i"
    "vp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1u"
    "SNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAh"
    "b6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18"
    "kDquDg"
)
RS256_COMPACT_4_1 = f"{RS256_HEADER_4_1}.{PAYLOAD_B64}.{RS256_SIGNATURE_4_1}"

# RFC 7520 §4.4.2 and §4.4.3: HS256, {"alg":"HS256","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037"}.
HS256_HEADER_4_4 = (
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9"
)
HS256_SIGNATURE_4_4 = "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"
HS256_COMPACT_4_4 = f"{HS256_HEADER_4_4}.{PAYLOAD_B64}.{HS256_SIGNATURE_4_4}"


def _rs256_key() -> SigningKey:
    """§3.3 imported by authgate (the cookbook's key names no ``alg``; authgate
    requires one)."""
    return key_from_jwk({**RSA_PUBLIC_3_3, "alg": "RS256"}, ["RS256"])


def _hs256_key() -> SigningKey:
    key = KeyRing.hmac(unb64(HMAC_KEY_3_5["k"])).key_for(None)
    assert key is not None
    return key


def _rs256_signing_key() -> SigningKey:
    """§3.4 through PyJWT's JWK import."""
    return SigningKey("RS256", RSA_PRIVATE_3_4["kid"], jwt.PyJWK(RSA_PRIVATE_3_4, "RS256").key)


EXAMPLES = [
    pytest.param(
        RS256_COMPACT_4_1,
        _rs256_key,
        {"alg": "RS256", "kid": RSA_PUBLIC_3_3["kid"]},
        id="rfc7520-4.1-rs256",
    ),
    pytest.param(
        HS256_COMPACT_4_4,
        _hs256_key,
        {"alg": "HS256", "kid": HMAC_KEY_3_5["kid"]},
        id="rfc7520-4.4-hs256",
    ),
]


def test_payload_is_the_quote() -> None:
    """§4: the base64url payload is the UTF-8 of the quote."""
    assert unb64(PAYLOAD_B64) == PAYLOAD_TEXT.encode()
    assert b64(PAYLOAD_TEXT.encode()) == PAYLOAD_B64


@pytest.mark.parametrize(("token", "make_key", "header"), EXAMPLES)
def test_compact_result_verifies(
    token: str, make_key: Callable[[], SigningKey], header: dict[str, str]
) -> None:
    """§4.1.3, §4.4.3: the header passes authgate's check, the signature verifies
    with the §3 key, and the payload is the quote."""
    key = make_key()
    assert read_header(token, TokenRules(algorithms=frozenset({key.algorithm}))) == header
    decoded = _JWS.decode_complete(token, key.key, algorithms=[key.algorithm])
    assert decoded["header"] == header
    assert decoded["payload"] == PAYLOAD_TEXT.encode()


@pytest.mark.parametrize("segment", [PAYLOAD, SIGNATURE], ids=["payload", "signature"])
@pytest.mark.parametrize(("token", "make_key", "header"), EXAMPLES)
def test_one_bit_changed_is_refused(
    token: str, make_key: Callable[[], SigningKey], header: dict[str, str], segment: int
) -> None:
    """One bit flipped in the payload or the signature fails verification."""
    key = make_key()
    with pytest.raises(jwt.InvalidSignatureError):
        _JWS.decode_complete(flip_bit(token, segment), key.key, algorithms=[key.algorithm])


def test_rs256_key_found_by_kid() -> None:
    """§4.1: in a ring holding the §3.3 key, the token's ``kid`` finds that key."""
    key = _rs256_key()
    ring = KeyRing(None, {key.kid: key})
    header = read_header(RS256_COMPACT_4_1, TokenRules(algorithms=frozenset({"RS256"})))
    assert ring.key_for(header["kid"]) is key


@pytest.mark.parametrize(
    ("make_key", "expected"),
    [
        pytest.param(_rs256_signing_key, RS256_COMPACT_4_1, id="rfc7520-4.1-rs256"),
        pytest.param(_hs256_key, HS256_COMPACT_4_4, id="rfc7520-4.4-hs256"),
    ],
)
def test_compact_result_is_reproduced(make_key: Callable[[], SigningKey], expected: str) -> None:
    """§4.1.2, §4.4.2: RSASSA-PKCS1-v1_5 and HMAC are deterministic: encoding the
    quote with the §3 key and the §4 header parameters gives the RFC's result."""
    key = make_key()
    kid = RSA_PUBLIC_3_3["kid"] if key.algorithm == "RS256" else HMAC_KEY_3_5["kid"]
    headers = {"typ": None, "kid": kid}
    token = _JWS.encode(PAYLOAD_TEXT.encode(), key.key, algorithm=key.algorithm, headers=headers)
    assert token == expected


def test_public_jwk_of_the_private_key() -> None:
    """§3.3, §3.4: authgate publishes the §3.3 key for the §3.4 private key
    (with the ``alg`` it signs with), and imports it back."""
    published = public_jwk(_rs256_signing_key())
    assert published == {**RSA_PUBLIC_3_3, "alg": "RS256"}
    key = key_from_jwk(published, ["RS256"])
    payload = _JWS.decode_complete(RS256_COMPACT_4_1, key.key, algorithms=["RS256"])["payload"]
    assert payload == PAYLOAD_TEXT.encode()


def test_hs256_kid_is_unknown_to_an_hs256_ring() -> None:
    """§4.4's token names a ``kid``; authgate's HS256 ring has one secret and no
    ``kid`` (``authgate.core.keys``), so ``signed_claims`` refuses it as an unknown
    key before checking its (genuine) signature."""
    ring = KeyRing.hmac(unb64(HMAC_KEY_3_5["k"]))
    with pytest.raises(UnknownKid):
        signed_claims(HS256_COMPACT_4_4, ring, TokenRules(algorithms=frozenset({"HS256"})))
