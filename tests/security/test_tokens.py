"""Attacks on the access token reader: any JSON in the header or the payload is
answered with the contract's errors (TokenInvalid, TokenExpired), never anything else.

The token reader is property-tested: hypothesis builds headers and payloads of every
JSON shape (members of the wrong type, nested lists and objects, huge numbers,
NaN), signs them with the server's own key so that they reach the claim checks,
and also sends them unsigned and with a bad signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authgate.core.errors import TokenError
from authgate.core.jose import decode_unverified
from authgate.core.keys import KeyRing
from authgate.core.tokens import AccessTokens
from tests.helpers import bearer, forge

SECRET = b"security-test-secret-0123456789abcdef"
NOW = 1_800_000_000.0

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
HEADER_NAMES = st.sampled_from(["alg", "typ", "kid", "crit", "jku", "b64", "x"])
CLAIM_NAMES = st.sampled_from(["sub", "email", "iat", "exp", "nbf", "jti", "sid", "iss", "aud"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(header: Any, claims: Any, key: bytes = SECRET) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _good_claims() -> dict[str, Any]:
    return {
        "sub": "u1",
        "email": "a@example.com",
        "iat": int(NOW),
        "exp": int(NOW) + 900,
        "jti": "j",
    }


def _verifier() -> AccessTokens:
    return AccessTokens(KeyRing.hmac(SECRET), ttl=900, issuer="iss", audience="aud", leeway=10)


def _read(token: str) -> None:
    """Verify with a fresh verifier (no cached verdicts); only contract errors escape."""
    try:
        _verifier().verify(token, NOW)
    except TokenError:
        pass


@pytest.mark.parametrize(
    "alg",
    [
        pytest.param(["HS256"], id="list"),
        pytest.param({"HS256": 1}, id="object"),
        pytest.param(None, id="null"),
        pytest.param(256, id="number"),
    ],
)
def test_alg_of_the_wrong_json_type_is_token_invalid(alg: Any) -> None:
    """A header whose alg is a list or an object was a 500 (unhashable type)."""
    with pytest.raises(TokenError) as caught:
        _verifier().verify(_signed({"alg": alg, "typ": "JWT"}, _good_claims()), NOW)
    assert caught.value.code == "token_invalid"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.dictionaries(HEADER_NAMES, JSON_VALUES, max_size=4))
def test_any_header_shape_is_a_contract_error(header: dict[str, Any]) -> None:
    """Whatever JSON the header holds, the reader answers with a contract error."""
    _read(_signed(header, _good_claims()))
    _read(_signed({"alg": "HS256", **header}, _good_claims()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(CLAIM_NAMES, JSON_VALUES, max_size=4))
def test_any_claim_shape_is_a_contract_error(changes: dict[str, Any]) -> None:
    """Whatever JSON the (genuinely signed) claims hold, only contract errors come out."""
    _read(_signed({"alg": "HS256", "typ": "JWT"}, {**_good_claims(), **changes}))


@settings(max_examples=150, deadline=None)
@given(payload=JSON_VALUES)
def test_any_payload_json_is_a_contract_error(payload: Any) -> None:
    """A payload that is not an object at all (a list, a number, null) is refused too."""
    _read(_signed({"alg": "HS256", "typ": "JWT"}, payload))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60) | st.binary(max_size=60).map(lambda b: _b64(b) + "." + _b64(b)))
def test_any_string_is_a_contract_error(text: str) -> None:
    """Arbitrary text in place of a token never raises anything but a contract error."""
    _read(text)
    _read(f"{text}.{text}.{text}")


@settings(max_examples=150, deadline=None)
@given(header=st.dictionaries(HEADER_NAMES, JSON_VALUES, max_size=3), claims=JSON_VALUES)
def test_token_decode_for_display_never_crashes(header: dict[str, Any], claims: Any) -> None:
    """`authgate token decode` reads any token shape or says it cannot be parsed."""
    try:
        decode_unverified(_signed(header, claims))
    except TokenError:
        pass


@pytest.mark.parametrize(
    "header",
    [
        pytest.param({"alg": ["HS256"], "typ": "JWT"}, id="alg-list"),
        pytest.param({"alg": {"x": 1}, "typ": "JWT"}, id="alg-object"),
        pytest.param({"alg": "HS256", "typ": None}, id="typ-null"),
        pytest.param({"alg": "HS256", "typ": ["JWT"]}, id="typ-list"),
        pytest.param({"alg": "HS256", "kid": ["a"]}, id="kid-list"),
        pytest.param({"alg": "HS256", "kid": None}, id="kid-null"),
    ],
)
async def test_wrong_header_types_over_http_are_401(
    client: httpx.AsyncClient, header: dict[str, Any]
) -> None:
    """Every protected route answers such a token 401 token_invalid, without credentials."""
    from tests.conftest import SECRET as SERVER_SECRET

    token = forge(header, _good_claims() | {"iat": 0, "exp": 2**31}, SERVER_SECRET)
    for method, path in (("GET", "/plans"), ("GET", "/auth/me"), ("POST", "/auth/logout")):
        response = await client.request(method, path, headers=bearer(token))
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["code"] == "token_invalid"
