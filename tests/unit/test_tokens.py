"""AccessTokens: issuing, strict verification, the verified-token cache, leeway."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from jwt.algorithms import HMACAlgorithm

from authgate.core import jose
from authgate.core import tokens as token_module
from authgate.core.errors import TokenExpired, TokenInvalid
from authgate.core.jose import SigningKey
from authgate.core.keys import KeyRing
from authgate.core.tokens import AccessTokens

SECRET = b"unit-test-secret-0123456789abcdef!!"
NOW = 1_800_000_000.0


@pytest.fixture
def tokens() -> AccessTokens:
    return AccessTokens(KeyRing.hmac(SECRET), ttl=900, leeway=10)


def issue(tokens: AccessTokens, now: float = NOW) -> str:
    token, _ = tokens.issue(user_id="u1", email="a@example.com", session_id="s1", now=now)
    return token


def test_claims_and_header(tokens: AccessTokens) -> None:
    """sub, email, iat, exp, jti, sid; header alg HS256 and typ JWT; no kid for HS256."""
    token = issue(tokens)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert set(claims) == {
        "sub",
        "email",
        "email_verified",
        "auth_time",
        "amr",
        "iat",
        "exp",
        "jti",
        "sid",
    }
    assert claims["exp"] - claims["iat"] == 900
    assert claims["sub"] == "u1"


def test_issuer_and_audience_when_configured() -> None:
    """iss and aud appear only when configured."""
    tokens = AccessTokens(KeyRing.hmac(SECRET), ttl=60, issuer="iss", audience="aud")
    claims = jwt.decode(
        issue(tokens),
        SECRET,
        algorithms=["HS256"],
        audience="aud",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert (claims["iss"], claims["aud"]) == ("iss", "aud")


def test_each_token_has_its_own_jti(tokens: AccessTokens) -> None:
    """jti is unique per token (logout revokes exactly one)."""
    assert tokens.verify(issue(tokens), NOW).token_id != tokens.verify(issue(tokens), NOW).token_id


def test_verify_returns_the_principal(tokens: AccessTokens) -> None:
    """The principal mirrors the claims."""
    principal = tokens.verify(issue(tokens), NOW + 1)
    assert (principal.id, principal.email, principal.session_id) == ("u1", "a@example.com", "s1")
    assert principal.expires_at == NOW + 900


def test_exp_is_strict_even_for_cached_tokens(tokens: AccessTokens) -> None:
    """exp has no leeway; a remembered token is re-checked against the clock."""
    token = issue(tokens)
    tokens.verify(token, NOW + 899)
    with pytest.raises(TokenExpired):
        tokens.verify(token, NOW + 900)


def test_iat_in_the_future_within_leeway(tokens: AccessTokens) -> None:
    """A token from a clock 10 s ahead is fine; 11 s is not."""
    tokens.verify(issue(tokens, NOW + 10), NOW)
    with pytest.raises(TokenInvalid):
        AccessTokens(KeyRing.hmac(SECRET), ttl=900, leeway=10).verify(issue(tokens, NOW + 11), NOW)


def test_another_key_is_refused(tokens: AccessTokens) -> None:
    """A token from another secret does not verify."""
    other = AccessTokens(KeyRing.hmac(b"x" * 40), ttl=900)
    with pytest.raises(TokenInvalid):
        tokens.verify(issue(other), NOW)


def test_the_cache_is_bounded(tokens: AccessTokens) -> None:
    """Remembered tokens never exceed the bound."""
    for i in range(5000):
        tokens.verify(issue(tokens, NOW + i % 5), NOW + 5)
    assert len(tokens._cache) <= 4096


def test_invalid_tokens_are_not_cached(tokens: AccessTokens) -> None:
    """Only verified tokens are remembered."""
    with pytest.raises(TokenInvalid):
        tokens.verify("a.b.c", NOW)
    assert "a.b.c" not in tokens._cache


def test_refused_tokens_are_remembered(
    tokens: AccessTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged token refused once is refused again without another signature check."""
    forged = issue(tokens)[:-4] + "AAAA"
    with pytest.raises(TokenInvalid):
        tokens.verify(forged, NOW)
    assert forged in tokens._refused

    def no_second_check(*args: object, **kwargs: object) -> object:
        raise AssertionError("the signature was checked again")

    monkeypatch.setattr(token_module, "signed_claims", no_second_check)
    with pytest.raises(TokenInvalid):
        tokens.verify(forged, NOW)


def test_not_yet_valid_is_not_remembered_as_refused(tokens: AccessTokens) -> None:
    """A verdict that time can change (nbf, iat in the future) is never remembered."""
    future = issue(tokens, NOW + 60)
    with pytest.raises(TokenInvalid):
        tokens.verify(future, NOW)
    assert future not in tokens._refused
    assert tokens.verify(future, NOW + 60).id == "u1"


def test_signing_matches_pyjwt() -> None:
    """A token signed through our parser is byte for byte what jwt.encode makes."""
    key = SigningKey(algorithm="HS256", kid=None, key=SECRET)
    claims = {"sub": "u1", "email": "a@example.com", "iat": 1, "exp": 2, "roles": ["admin"]}
    assert jose.sign(claims, key) == jwt.encode(claims, SECRET, algorithm="HS256")
    keyed = SigningKey(algorithm="HS256", kid="k1", key=SECRET)
    expected = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k1"})
    assert jose.sign(claims, keyed) == expected


def test_a_secret_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret's key checks run on its first token, not on every one."""
    checks: list[bytes] = []
    original = HMACAlgorithm.prepare_key

    def counted(self: HMACAlgorithm, key: str | bytes) -> bytes:
        checks.append(key if isinstance(key, bytes) else key.encode())
        return original(self, key)

    monkeypatch.setattr(HMACAlgorithm, "prepare_key", counted)
    ring = KeyRing.hmac(b"a-secret-only-this-test-uses-0123456789")
    fresh = AccessTokens(ring, ttl=900, leeway=10)
    for _ in range(3):
        fresh.verify(issue(fresh), NOW)
    assert checks == [b"a-secret-only-this-test-uses-0123456789"]


@pytest.mark.parametrize("kind", ["pem", "der"])
def test_a_public_key_as_secret_is_refused_every_time(kind: str) -> None:
    """HMAC keyed with a public key (RFC 8725 §3.1) fails on every use, not only the
    first: a refused secret is never remembered as checked."""
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    encoding = serialization.Encoding.PEM if kind == "pem" else serialization.Encoding.DER
    secret = public.public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)
    key = SigningKey(algorithm="HS256", kid=None, key=secret)
    for _ in range(2):
        with pytest.raises(jwt.InvalidKeyError):
            jose.sign({"sub": "u1"}, key)
