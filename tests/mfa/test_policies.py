"""Route policies for library users: ``gate.require_mfa`` and ``gate.recent_auth``
beside ``current_user``, and the same checks in ``JWKSVerifier`` for other services."""

from pathlib import Path
from typing import Annotated, Any

import httpx
import pyotp
from fastapi import Depends, FastAPI

from authgate import JWKSVerifier, Principal
from tests.conftest import FakeClock
from tests.helpers import PASSWORD, bearer, login, register
from tests.mfa.test_totp import EMAIL, code


async def two_factor_tokens(client: httpx.AsyncClient, clock: FakeClock) -> tuple[Any, Any]:
    """A password-only pair, then (after setting up an app) a two-factor pair."""
    await register(client, EMAIL)
    plain = await login(client, EMAIL)
    secret = (await client.post("/auth/mfa/totp", headers=bearer(plain["access_token"]))).json()[
        "secret"
    ]
    await client.post(
        "/auth/mfa/totp/confirm",
        json={"code": pyotp.TOTP(secret).at(clock())},
        headers=bearer(plain["access_token"]),
    )
    clock.advance(30)
    step = await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    strong = await client.post(
        "/auth/login/mfa",
        json={"mfa_token": step.json()["mfa_token"], "code": code(secret, clock)},
    )
    return plain, strong.json()


async def test_gate_dependencies(app_factory: Any, clock: FakeClock) -> None:
    app, gate = await app_factory()

    @app.get("/wire-money")
    async def wire(user: Principal = Depends(gate.require_mfa)) -> dict[str, str]:
        return {"by": user.email}

    Recent = Annotated[Principal, Depends(gate.recent_auth(max_age=300))]

    @app.get("/settings")
    async def settings(user: Recent) -> dict[str, str]:
        return {"by": user.email}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
        plain, strong = await two_factor_tokens(client, clock)
        refused = await client.get("/wire-money", headers=bearer(plain["access_token"]))
        assert (refused.status_code, refused.json()["code"]) == (403, "reauth_required")
        ok = await client.get("/wire-money", headers=bearer(strong["access_token"]))
        assert ok.json() == {"by": EMAIL}
        assert (await client.get("/wire-money")).status_code == 401
        assert (
            await client.get("/settings", headers=bearer(strong["access_token"]))
        ).status_code == 200
        clock.advance(301)
        later = await client.post("/auth/refresh", json={"refresh_token": strong["refresh_token"]})
        stale = await client.get("/settings", headers=bearer(later.json()["access_token"]))
        assert (stale.status_code, stale.json()["code"]) == (403, "reauth_required")
        still_mfa = await client.get("/wire-money", headers=bearer(later.json()["access_token"]))
        assert still_mfa.status_code == 200


async def test_verifier_dependencies(app_factory: Any, clock: FakeClock, tmp_path: Path) -> None:
    app, _ = await app_factory(algorithm="EdDSA", keys_dir=tmp_path / "keys")
    auth = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://auth.test")
    verifier = JWKSVerifier("https://auth.test/.well-known/jwks.json", client=auth, clock=clock)
    service = FastAPI()
    verifier.install(service)

    @service.get("/wire-money")
    async def wire(user: Principal = Depends(verifier.require_mfa)) -> dict[str, str]:
        return {"by": user.email}

    Recent = Annotated[Principal, Depends(verifier.recent_auth(max_age=60))]

    @service.get("/settings")
    async def settings(user: Recent) -> dict[str, str]:
        return {"by": user.email}

    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=service), base_url="https://r")
    async with auth, other:
        plain, strong = await two_factor_tokens(auth, clock)
        refused = await other.get("/wire-money", headers=bearer(plain["access_token"]))
        assert (refused.status_code, refused.json()["code"]) == (403, "reauth_required")
        assert (
            await other.get("/wire-money", headers=bearer(strong["access_token"]))
        ).status_code == 200
        assert (
            await other.get("/settings", headers=bearer(strong["access_token"]))
        ).status_code == 200
        clock.advance(61)
        late = await other.get("/settings", headers=bearer(strong["access_token"]))
        assert (late.status_code, late.json()["code"]) == (403, "reauth_required")
