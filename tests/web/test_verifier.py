"""``JWKSVerifier``: a second FastAPI service verifying authgate's tokens by JWKS URL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

import authgate
from authgate import JWKSVerifier, Principal
from authgate.storage.keyfiles import KeyDirectory
from authgate.storage.keysource import CHECK_INTERVAL
from tests.conftest import FakeClock
from tests.helpers import bearer, login, signed_up

JWKS_URL = "https://auth.test/.well-known/jwks.json"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The verifier never touches the server's database: SQLite is enough here."""
    return f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}"


class Counting(httpx.AsyncBaseTransport):
    """Counts the JWKS fetches that reach the auth server; can play an outage."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls = 0
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/jwks.json":
            self.calls += 1
        if self.down:
            raise httpx.ConnectError("auth server down", request=request)
        return await self.inner.handle_async_request(request)


class Setup:
    """The auth server (ASGI), a verifier that fetches from it, and a service using it."""

    def __init__(self, auth: httpx.AsyncClient, gate: Any, verifier: JWKSVerifier) -> None:
        self.auth = auth
        self.gate = gate
        self.verifier = verifier
        self.fetches = auth._transport
        service = FastAPI()
        verifier.install(service)

        @service.get("/reports")
        async def reports(user: Principal = Depends(verifier.current_user)) -> dict[str, str]:
            return {"id": user.id, "email": user.email}

        self.service = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=service), base_url="https://reports.test"
        )


@pytest.fixture
async def setup(
    app_factory: Callable[..., Any], tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Callable[..., Any]]:
    made: list[Setup] = []

    async def make(algorithm: str = "EdDSA", **verifier_options: Any) -> Setup:
        overrides = {"algorithm": algorithm, "keys_dir": tmp_path / "keys"}
        for name in ("issuer", "audience"):
            if name in verifier_options:
                overrides[name] = verifier_options.pop(f"server_{name}", verifier_options[name])
        app, gate = await app_factory(**overrides)
        counting = Counting(httpx.ASGITransport(app=app))
        auth = httpx.AsyncClient(transport=counting, base_url="https://auth.test")
        verifier = JWKSVerifier(JWKS_URL, client=auth, clock=clock, **verifier_options)
        made.append(Setup(auth, gate, verifier))
        return made[-1]

    yield make
    for item in made:
        await item.service.aclose()
        await item.auth.aclose()


def forged_kid(token: str, kid: str) -> str:
    header, payload, signature = token.split(".")
    head = json.loads(jwt.utils.base64url_decode(header))
    new_header = jwt.utils.base64url_encode(json.dumps({**head, "kid": kid}).encode()).decode()
    return f"{new_header}.{payload}.{signature}"


def test_the_verifier_is_exported_lazily() -> None:
    """``from authgate import JWKSVerifier`` works and is in __all__."""
    assert "JWKSVerifier" in authgate.__all__
    assert authgate.JWKSVerifier is JWKSVerifier


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
async def test_a_second_service_accepts_authgate_tokens(setup: Any, algorithm: str) -> None:
    """Three lines protect a route of another FastAPI app: the caller is a Principal."""
    s = await setup(algorithm)
    token = (await signed_up(s.auth))["access_token"]
    response = await s.service.get("/reports", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "alice@example.com"
    principal = await s.verifier.verify(token)
    assert principal == s.gate.service.authenticate(token)


@pytest.mark.parametrize(
    ("make_headers", "code"),
    [
        pytest.param(lambda token: {}, "token_missing", id="no-header"),
        pytest.param(
            lambda token: {"Authorization": f"Basic {token}"}, "token_missing", id="basic"
        ),
        pytest.param(
            lambda token: bearer(token[:-4] + "AAAA"), "token_invalid", id="bad-signature"
        ),
        pytest.param(lambda token: bearer("not.a.jwt"), "token_invalid", id="garbage"),
    ],
)
async def test_refusals_match_the_servers_answers(
    setup: Any, make_headers: Callable[[str], dict[str, str]], code: str
) -> None:
    """Same status, body, code and WWW-Authenticate as authgate's own /auth/me."""
    s = await setup()
    token = (await signed_up(s.auth))["access_token"]
    headers = {**make_headers(token), "Accept-Language": "ko"}
    ours = await s.service.get("/reports", headers=headers)
    theirs = await s.auth.get("/auth/me", headers=headers)
    assert ours.status_code == theirs.status_code == 401
    assert ours.json() == theirs.json()
    assert ours.json()["code"] == code
    assert ours.headers["www-authenticate"] == theirs.headers["www-authenticate"]


async def test_an_expired_token_is_token_expired(setup: Any, clock: FakeClock) -> None:
    """A good signature past exp: 401 token_expired, as on the server."""
    s = await setup()
    token = (await signed_up(s.auth))["access_token"]
    clock.advance(s.gate.settings.access_ttl_seconds)
    response = await s.service.get("/reports", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


async def test_issuer_and_audience_are_required_when_given(setup: Any) -> None:
    """A token for another audience is token_invalid."""
    s = await setup(issuer="https://auth.test", audience="reports", server_audience="billing")
    token = (await signed_up(s.auth))["access_token"]
    response = await s.service.get("/reports", headers=bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


async def test_forged_kids_cannot_cause_a_fetch_storm(setup: Any, clock: FakeClock) -> None:
    """However many unknown kids arrive, the JWKS is fetched at most once per interval."""
    s = await setup(refetch_interval=30)
    token = (await signed_up(s.auth))["access_token"]
    await s.verifier.verify(token)
    before = s.fetches.calls
    clock.advance(30)
    forged = [forged_kid(token, f"forged-{n}") for n in range(50)]
    answers = await asyncio.gather(*(s.service.get("/reports", headers=bearer(f)) for f in forged))
    assert {a.status_code for a in answers} == {401}
    assert s.fetches.calls - before == 1
    clock.advance(29)
    await s.service.get("/reports", headers=bearer(forged[0]))
    assert s.fetches.calls - before == 1
    clock.advance(1)
    await s.service.get("/reports", headers=bearer(forged[0]))
    assert s.fetches.calls - before == 2


async def test_a_rotated_key_is_fetched_once_when_its_first_token_arrives(
    setup: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """After a rotation, tokens with the new kid make one refetch (shared by concurrent
    requests), and old tokens keep verifying."""
    s = await setup(refetch_interval=30)
    old_token = (await signed_up(s.auth))["access_token"]
    await s.verifier.verify(old_token)
    clock.advance(30)
    KeyDirectory(tmp_path / "keys").add_key("EdDSA", clock(), window=910, replace_current=True)
    clock.advance(CHECK_INTERVAL)
    new_token = (await login(s.auth, "alice@example.com"))["access_token"]
    before = s.fetches.calls
    answers = await asyncio.gather(
        *(s.service.get("/reports", headers=bearer(new_token)) for _ in range(10))
    )
    assert {a.status_code for a in answers} == {200}
    assert s.fetches.calls - before == 1
    assert (await s.service.get("/reports", headers=bearer(old_token))).status_code == 200


async def test_the_key_set_is_refetched_after_its_max_age(setup: Any, clock: FakeClock) -> None:
    """The server's Cache-Control max-age bounds how long the keys are used unchecked."""
    s = await setup()
    token = (await signed_up(s.auth))["access_token"]
    await s.verifier.verify(token)
    before = s.fetches.calls
    clock.advance(299)
    await s.verifier.verify(token)
    assert s.fetches.calls == before
    clock.advance(1)
    await s.verifier.verify(token)
    assert s.fetches.calls == before + 1


async def test_an_unreachable_jwks_is_503_not_401(setup: Any) -> None:
    """With no key set at all the service cannot judge tokens: 503, never a 500."""
    s = await setup()
    token = (await signed_up(s.auth))["access_token"]
    s.fetches.down = True
    response = await s.service.get("/reports", headers=bearer(token))
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


async def test_an_outage_after_the_first_fetch_keeps_the_cached_keys(
    setup: Any, clock: FakeClock
) -> None:
    """Once fetched, the keys keep serving while the auth server is down."""
    s = await setup()
    token = (await signed_up(s.auth))["access_token"]
    await s.verifier.verify(token)
    s.fetches.down = True
    clock.advance(400)
    token_still = await s.service.get("/reports", headers=bearer(token))
    assert token_still.status_code == 200


@pytest.mark.parametrize(
    "jwk",
    [
        pytest.param(
            {"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", "alg": "HS256"}, id="oct"
        ),
        pytest.param(
            {"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", "alg": "EdDSA"},
            id="oct-as-eddsa",
        ),
    ],
)
async def test_a_symmetric_key_in_the_jwks_is_never_used(jwk: dict[str, str]) -> None:
    """A JWKS is public: an HMAC key in it (or one claiming another alg) is skipped."""
    body = {"keys": [{**jwk, "kid": "k1"}]}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        verifier = JWKSVerifier(JWKS_URL, client=client)
        await verifier.refresh()
        assert verifier.keys.key_for("k1") is None
        token = jwt.encode(
            {"sub": "u", "email": "u@example.com", "jti": "j", "iat": 1, "exp": 2**40},
            b"secret-secret-secret-secret-secret",
            algorithm="HS256",
            headers={"kid": "k1"},
        )
        with pytest.raises(authgate.TokenInvalid):
            await verifier.verify(token)


def test_hmac_algorithms_cannot_be_configured() -> None:
    """A JWKS verifier verifies with public keys only."""
    with pytest.raises(ValueError, match="algorithms"):
        JWKSVerifier(JWKS_URL, algorithms=["HS256"])


async def test_the_lifespan_installs_the_answers_and_fetches_the_keys_early(setup: Any) -> None:
    """``FastAPI(lifespan=verifier.lifespan)``: 401s in the contract's shape, keys at start."""
    s = await setup()
    token = (await signed_up(s.auth))["access_token"]
    verifier = JWKSVerifier(JWKS_URL, client=s.auth)
    service = FastAPI(lifespan=verifier.lifespan)

    @service.get("/reports")
    async def reports(user: Principal = Depends(verifier.current_user)) -> dict[str, str]:
        return {"email": user.email}

    async with verifier.lifespan(service):
        assert len(verifier.keys.verifying) == 1
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="https://r.test") as client:
            missing = await client.get("/reports")
            assert missing.status_code == 401
            assert missing.json() == {"detail": "No token", "code": "token_missing"}
            assert missing.headers["www-authenticate"] == "Bearer"
            ok = await client.get("/reports", headers=bearer(token))
            assert ok.json() == {"email": "alice@example.com"}


async def test_the_lifespan_starts_even_if_the_auth_server_is_down(setup: Any) -> None:
    """A service may start before the auth server; its requests fetch the keys later."""
    s = await setup()
    s.fetches.down = True
    verifier = JWKSVerifier(JWKS_URL, client=s.auth)
    async with verifier.lifespan(FastAPI()):
        assert len(verifier.keys.verifying) == 0
