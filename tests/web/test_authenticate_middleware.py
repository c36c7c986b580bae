"""Authentication before routing: which routes it guards, and what it answers."""

from __future__ import annotations

import re
from typing import Any

import httpx

from authgate.web.authenticate import by_method, protected_operations
from tests.helpers import bearer, signed_up


def test_the_protected_routes_come_from_the_schema(gate_app: tuple[Any, Any]) -> None:
    """Every route using gate.current_user is guarded; login, register, refresh,
    the JWKS and the health check are not."""
    app, _ = gate_app
    guarded = {
        (method, pattern.pattern)
        for pattern, methods in protected_operations(app, "OAuth2PasswordBearer")
        for method in methods
    }
    assert ("GET", "^/plans$") in guarded
    assert ("DELETE", "^/plans/(?P<plan_id>[^/]+)$") in guarded
    assert ("POST", "^/auth/logout$") in guarded
    assert ("GET", "^/auth/me$") in guarded
    paths = {pattern for _, pattern in guarded}
    for open_path in ("^/auth/login$", "^/auth/register$", "^/auth/refresh$", "^/healthz$"):
        assert open_path not in paths


def test_one_pattern_per_method_matches_as_the_routes_do(gate_app: tuple[Any, Any]) -> None:
    """The middleware's one pattern per method guards exactly the paths the routes'
    own patterns do: each route's path, its neighbours, and the open routes."""
    app, _ = gate_app
    operations = protected_operations(app, "OAuth2PasswordBearer")
    combined = by_method(operations)
    paths = {"/auth/login", "/auth/refresh", "/plans/", "/plansx", "/plans/1/2", "/", ""}
    for pattern, _methods in operations:
        path = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "x-1", pattern.pattern)
        path = path.strip("^$").replace("\\", "")
        paths |= {path, path + "/", path + "/more", path[:-1]}
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        for path in paths:
            expected = any(method in ms and p.match(path) for p, ms in operations)
            found = method in combined and combined[method].match(path) is not None
            assert found == expected, (method, path)
    assert combined["GET"].match("/auth/sessions")
    assert not combined["POST"].match("/auth/login")


async def test_a_bad_token_is_refused_before_the_body_is_read(client: httpx.AsyncClient) -> None:
    """A huge body behind a forged token is a 401, not a 413: nothing was read."""
    response = await client.post(
        "/plans",
        content=b"x" * (3 * 1024 * 1024),
        headers={"Authorization": "Bearer a.b.c", "Content-Type": "application/json"},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


async def test_the_route_receives_the_principal_checked_before_routing(
    client: httpx.AsyncClient, gate: Any, monkeypatch: Any
) -> None:
    """A good token is verified once per request, not again by the dependency."""
    token = (await signed_up(client))["access_token"]
    calls: list[str] = []
    real = gate.service.authenticate

    def counting(value: str) -> Any:
        calls.append(value)
        return real(value)

    monkeypatch.setattr(gate.service, "authenticate", counting)
    response = await client.get("/plans", headers=bearer(token))
    assert response.status_code == 200
    assert len(calls) == 1
