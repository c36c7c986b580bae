"""Roles: ``authgate user role`` (CLI, as an operator runs it), the ``roles`` claim,
``require_roles`` in the gate and in JWKSVerifier."""

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from authgate import JWKSVerifier, Principal
from tests.conftest import SECRET, FakeClock
from tests.helpers import bearer, claims_of, forge, login, register
from tests.integration.services import AUTHGATE

EMAIL = "ops@example.com"


async def role(gate: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env.update(AUTHGATE_DATABASE_URL=gate.settings.database_url, AUTHGATE_SECRET=SECRET)
    return await asyncio.to_thread(
        subprocess.run,
        [AUTHGATE, "user", "role", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_role_reaches_the_claim_and_taking_it_back_refuses_old_tokens(
    app_factory: Any, clock: FakeClock
) -> None:
    app, gate = await app_factory()

    Admin = Annotated[Principal, Depends(gate.require_roles("admin"))]

    @app.get("/admin-only")
    async def admin_only(user: Admin) -> dict[str, str]:
        return {"by": user.email}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://t") as http:
        await register(http, EMAIL)
        before = await login(http, EMAIL)
        assert "roles" not in claims_of(before["access_token"])
        refused = await http.get("/admin-only", headers=bearer(before["access_token"]))
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        added = await role(gate, EMAIL, "add", "admin")
        assert added.returncode == 0, added.stderr
        assert "roles admin" in added.stdout
        tokens = await login(http, EMAIL)
        assert claims_of(tokens["access_token"])["roles"] == ["admin"]
        ok = await http.get("/admin-only", headers=bearer(tokens["access_token"]))
        assert ok.json() == {"by": EMAIL}
        removed = await role(gate, EMAIL, "remove", "admin")
        assert removed.returncode == 0, removed.stderr
        await gate.runtime.revocations.sync()  # what the background sync does each second
        clock.advance(2)
        gone = await http.get("/admin-only", headers=bearer(tokens["access_token"]))
        assert gone.status_code == 401 and gone.json()["code"] == "token_revoked"
        fresh = await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert fresh.status_code == 200
        assert "roles" not in claims_of(fresh.json()["access_token"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody@example.com", "add", "admin"), "[not_found]"),
        ((EMAIL, "grant", "admin"), "add or remove"),
        ((EMAIL, "add", "Admin!"), "[validation_error]"),
    ],
)
async def test_bad_role_commands_fail_in_one_line(
    app_factory: Any, args: tuple[str, ...], message: str
) -> None:
    app, gate = await app_factory()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://t") as http:
        await register(http, EMAIL)
    result = await role(gate, *args)
    assert result.returncode != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("roles", ["admin", {"admin": True}, [1], ["a"] * 33])
async def test_a_roles_claim_of_the_wrong_shape_is_token_invalid(
    client: httpx.AsyncClient, clock: FakeClock, roles: Any
) -> None:
    now = int(clock())
    claims = {
        "sub": "u",
        "email": "e@x.com",
        "iat": now,
        "exp": now + 60,
        "jti": "j",
        "roles": roles,
    }
    token = forge({"alg": "HS256", "typ": "JWT"}, claims, SECRET)
    answer = await client.get("/plans", headers=bearer(token))
    assert (answer.status_code, answer.json()["code"]) == (401, "token_invalid")


async def test_the_verifier_requires_roles(
    app_factory: Any, clock: FakeClock, tmp_path: Path
) -> None:
    app, gate = await app_factory(algorithm="EdDSA", keys_dir=tmp_path / "keys")
    auth = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://auth.test")
    verifier = JWKSVerifier("https://auth.test/.well-known/jwks.json", client=auth, clock=clock)
    service = FastAPI()
    verifier.install(service)
    Admin = Annotated[Principal, Depends(verifier.require_roles("admin"))]

    @service.get("/admin-only")
    async def admin_only(user: Admin) -> dict[str, str]:
        return {"by": user.email}

    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=service), base_url="https://r")
    async with auth, other:
        await register(auth, EMAIL)
        plain = await login(auth, EMAIL)
        denied = await other.get("/admin-only", headers=bearer(plain["access_token"]))
        assert (denied.status_code, denied.json()["code"]) == (403, "forbidden")
        await gate.service.set_role(EMAIL, "admin", granted=True)
        admin = await login(auth, EMAIL)
        assert (
            await other.get("/admin-only", headers=bearer(admin["access_token"]))
        ).status_code == 200
