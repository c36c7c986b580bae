"""authgate as a library: the DESIGN.md snippet, mounted into someone else's app."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import Depends, FastAPI

from authgate import AuthGate, Principal, Settings
from authgate.core.passwords import FAST_FOR_TESTS
from tests.conftest import SECRET
from tests.helpers import PASSWORD, bearer


async def test_the_library_snippet_works_as_documented(tmp_path: Path) -> None:
    """include_router + Depends(gate.current_user): the same answers as the server."""
    gate = AuthGate(
        Settings(secret=SECRET, database_url=f"sqlite+aiosqlite:///{tmp_path / 'lib.db'}"),
        password_params=FAST_FOR_TESTS,
    )
    app = FastAPI(lifespan=gate.lifespan)
    app.include_router(gate.router)

    @app.get("/reports")
    async def reports(user: Principal = Depends(gate.current_user)) -> dict[str, str]:
        return {"for": user.email}

    async with gate.lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
            missing = await client.get("/reports")
            assert missing.status_code == 401
            assert missing.json() == {"detail": "No token", "code": "token_missing"}
            assert missing.headers["www-authenticate"] == "Bearer"
            creds = {"email": "lib@example.com", "password": PASSWORD}
            assert (await client.post("/auth/register", json=creds)).status_code == 201
            wrong = await client.post("/auth/login", json={**creds, "password": "nope nope"})
            assert wrong.json()["code"] == "invalid_credentials"
            tokens = (await client.post("/auth/login", json=creds)).json()
            ok = await client.get("/reports", headers=bearer(tokens["access_token"]))
            assert ok.json() == {"for": "lib@example.com"}
            bad = await client.get("/reports", headers=bearer("x.y.z"))
            assert bad.json()["code"] == "token_invalid"
