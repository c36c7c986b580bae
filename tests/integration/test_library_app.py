"""The library snippet served by uvicorn for real (lifespan and all)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import free_port, server_env

pytestmark = pytest.mark.slow

APP = textwrap.dedent(
    """
    from fastapi import Depends, FastAPI
    from authgate import AuthGate, Principal, Settings

    gate = AuthGate(Settings())
    app = FastAPI(lifespan=gate.lifespan)
    app.include_router(gate.router)

    @app.get("/reports")
    async def reports(user: Principal = Depends(gate.current_user)):
        return {"for": user.email}
    """
)


def test_a_third_party_app_answers_the_contracts_401s(tmp_path: Path) -> None:
    """Under uvicorn, a protected route of the user's app answers 401 token_missing."""
    (tmp_path / "myapp.py").write_text(APP)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "myapp:app", "--port", str(port)],
        cwd=tmp_path,
        env=server_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"{url}/reports", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert response.status_code == 401
        assert response.json() == {"detail": "No token", "code": "token_missing"}
        creds = {"email": "lib@example.com", "password": "long enough password"}
        assert httpx.post(f"{url}/auth/register", json=creds).status_code == 201
        token = httpx.post(f"{url}/auth/login", json=creds).json()["access_token"]
        ok = httpx.get(f"{url}/reports", headers={"Authorization": f"Bearer {token}"})
        assert ok.json() == {"for": "lib@example.com"}
    finally:
        process.terminate()
        process.wait(timeout=15)
