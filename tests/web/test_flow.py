"""The tutorial's flow through the ASGI client: register, log in, plans, 401s."""

from __future__ import annotations

import httpx

from tests.helpers import PASSWORD, bearer, login, register, signed_up


async def test_register_answers_201_with_id_email_created_at(client: httpx.AsyncClient) -> None:
    """Registering gives the new user's id, email and creation time, never the hash."""
    response = await client.post(
        "/auth/register", json={"email": "Alice@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "created_at"}
    assert body["email"].lower() == "alice@example.com"


async def test_login_gives_a_bearer_token_response(client: httpx.AsyncClient) -> None:
    """Login answers RFC 6749 §5.1 with no-store caching."""
    await register(client, "bob@example.com")
    response = await client.post(
        "/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["access_token"].count(".") == 2
    assert len(body["refresh_token"]) >= 22


async def test_login_accepts_the_oauth2_password_form(client: httpx.AsyncClient) -> None:
    """The OAuth2 password flow (form username/password) works, for /docs' Authorize."""
    await register(client, "carol@example.com")
    response = await client.post(
        "/auth/login", data={"username": "carol@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


async def test_plans_are_private_to_their_owner(client: httpx.AsyncClient) -> None:
    """Each user lists only their plans; another user's plan is 404, never 403."""
    alice = (await signed_up(client, "alice@example.com"))["access_token"]
    bob = (await signed_up(client, "bob@example.com"))["access_token"]
    created = await client.post("/plans", json={"title": "Learn JWT"}, headers=bearer(alice))
    assert created.status_code == 201
    plan = created.json()
    assert set(plan) == {"id", "title", "done", "created_at"}
    assert plan["done"] is False
    listed = await client.get("/plans", headers=bearer(alice))
    assert [p["title"] for p in listed.json()] == ["Learn JWT"]
    assert (await client.get("/plans", headers=bearer(bob))).json() == []
    for method in ("GET", "PATCH", "DELETE"):
        kwargs = {"json": {"done": True}} if method == "PATCH" else {}
        response = await client.request(
            method, f"/plans/{plan['id']}", headers=bearer(bob), **kwargs
        )
        assert response.status_code == 404, method
        assert response.json()["code"] == "not_found"


async def test_plan_crud(client: httpx.AsyncClient) -> None:
    """Create, read, update and delete a plan."""
    token = (await signed_up(client))["access_token"]
    plan = (
        await client.post("/plans", json={"title": "a", "done": False}, headers=bearer(token))
    ).json()
    got = await client.get(f"/plans/{plan['id']}", headers=bearer(token))
    assert got.json() == plan
    patched = await client.patch(
        f"/plans/{plan['id']}", json={"done": True, "title": "b"}, headers=bearer(token)
    )
    assert patched.status_code == 200
    assert patched.json()["done"] is True and patched.json()["title"] == "b"
    deleted = await client.delete(f"/plans/{plan['id']}", headers=bearer(token))
    assert deleted.status_code == 204
    assert (await client.get(f"/plans/{plan['id']}", headers=bearer(token))).status_code == 404


async def test_me_returns_the_caller(client: httpx.AsyncClient) -> None:
    """/auth/me shows who the token belongs to."""
    user = await register(client, "dave@example.com")
    token = (await login(client, "dave@example.com"))["access_token"]
    response = await client.get("/auth/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        **user,
        "email_verified": False,
        "mfa": {"totp": False, "passkeys": 0},
    }


async def test_healthz(client: httpx.AsyncClient) -> None:
    """The health check answers ok while the database answers."""
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_jwks_is_empty_under_hs256(client: httpx.AsyncClient) -> None:
    """No public keys to publish for a shared secret."""
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.json() == {"keys": []}
