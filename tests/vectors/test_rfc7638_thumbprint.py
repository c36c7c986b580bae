"""RFC 7638 thumbprints (the ``kid`` of every authgate key), from the RFCs' examples."""

from __future__ import annotations

import pytest

from authgate.core.jose import jwk_thumbprint

# RFC 7638 §3.1: the RSA key of RFC 7517 Appendix A.1.
RFC7638_RSA = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4v"
        "MQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
# RFC 8037 Appendix A.2 and A.3: an Ed25519 public key and its thumbprint.
RFC8037_OKP = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}


@pytest.mark.parametrize(
    ("jwk", "thumbprint"),
    [
        pytest.param(
            RFC7638_RSA, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", id="rfc7638-3.1-rsa"
        ),
        pytest.param(
            RFC8037_OKP, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", id="rfc8037-a.3-okp"
        ),
    ],
)
def test_thumbprint_matches_the_rfc_example(jwk: dict[str, str], thumbprint: str) -> None:
    """The thumbprint covers only the required members, in order, as the RFCs compute it."""
    assert jwk_thumbprint(jwk) == thumbprint


def test_thumbprint_ignores_optional_members() -> None:
    """``alg``, ``kid`` and ``use`` do not change a key's thumbprint (RFC 7638 §3.2)."""
    bare = {k: RFC7638_RSA[k] for k in ("kty", "n", "e")}
    assert jwk_thumbprint(bare) == jwk_thumbprint({**RFC7638_RSA, "use": "sig"})


@pytest.mark.parametrize(
    "jwk",
    [
        pytest.param({"kty": "oct", "k": "c2VjcmV0"}, id="symmetric"),
        pytest.param({"kty": "EC", "crv": "P-256", "x": "AA"}, id="missing-y"),
    ],
)
def test_thumbprint_refuses_what_it_cannot_cover(jwk: dict[str, str]) -> None:
    """A symmetric or incomplete key has no thumbprint here."""
    with pytest.raises(ValueError):
        jwk_thumbprint(jwk)
