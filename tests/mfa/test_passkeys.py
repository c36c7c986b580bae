"""Passkeys through the API (API.md §3.2) with a software authenticator making real
P-256 signatures, on SQLite and PostgreSQL: register, manage, sign in passwordless
and as a second factor; replays, counters, origins and bad input refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from webauthn.helpers import bytes_to_base64url

from tests.helpers import PASSWORD, bearer, claims_of, login, register
from tests.mfa.softkey import SoftKey

EMAIL = "alice@example.com"
SITE = "https://auth.example.com"


@pytest.fixture
async def gate_app(app_factory: Any) -> tuple[Any, Any]:
    return await app_factory(public_url=SITE)


async def add_passkey(client: httpx.AsyncClient, access: str, key: SoftKey) -> Any:
    options = await client.post("/auth/passkeys/register/options", headers=bearer(access))
    assert options.status_code == 200, options.text
    body = options.json()
    assert body["rp"]["id"] == "auth.example.com"
    assert body["authenticatorSelection"]["residentKey"] == "preferred"
    created = await client.post(
        "/auth/passkeys/register",
        json={"credential": key.create(body), "name": "  My   laptop "},
        headers=bearer(access),
    )
    assert created.status_code == 201, created.text
    return created.json()


async def signed_up_with_key(client: httpx.AsyncClient) -> tuple[Any, SoftKey, Any]:
    await register(client, EMAIL)
    tokens = await login(client, EMAIL)
    key = SoftKey(SITE, "auth.example.com")
    passkey = await add_passkey(client, tokens["access_token"], key)
    return tokens, key, passkey


async def options(client: httpx.AsyncClient, **body: str) -> tuple[Any, str]:
    answer = await client.post("/auth/passkeys/login/options", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["options"], answer.json()["flow"]


async def sign_in(
    client: httpx.AsyncClient, flow: str, credential: Any, **params: str
) -> httpx.Response:
    return await client.post(
        "/auth/passkeys/login", json={"flow": flow, "credential": credential}, params=params
    )


def assert_refused(answer: httpx.Response, status: int = 401) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == "passkey_invalid"


async def test_register_list_rename_remove(client: httpx.AsyncClient) -> None:
    tokens, _, passkey = await signed_up_with_key(client)
    assert passkey["name"] == "My laptop" and passkey["last_used_at"] is None
    access = tokens["access_token"]
    listed = (await client.get("/auth/passkeys", headers=bearer(access))).json()
    assert [p["id"] for p in listed] == [passkey["id"]]
    me = (await client.get("/auth/me", headers=bearer(access))).json()
    assert me["mfa"] == {"totp": False, "passkeys": 1}
    renamed = await client.patch(
        f"/auth/passkeys/{passkey['id']}", json={"name": "Phone"}, headers=bearer(access)
    )
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Phone")
    removed = await client.delete(f"/auth/passkeys/{passkey['id']}", headers=bearer(access))
    assert removed.status_code == 204
    again = await client.delete(f"/auth/passkeys/{passkey['id']}", headers=bearer(access))
    assert (again.status_code, again.json()["code"]) == (404, "not_found")
    kept = (await client.get("/auth/events", headers=bearer(access))).json()["events"]
    assert [e["type"] for e in kept[:2]] == ["passkey_removed", "passkey_added"]


async def test_passwordless_sign_in_counts_as_two_factors(client: httpx.AsyncClient) -> None:
    _, key, passkey = await signed_up_with_key(client)
    request, flow = await options(client)
    assert request["rpId"] == "auth.example.com" and request.get("allowCredentials", []) == []
    assert request["userVerification"] == "required"
    answer = await sign_in(client, flow, key.get(request))
    assert answer.status_code == 200, answer.text
    claims = claims_of(answer.json()["access_token"])
    assert claims["amr"] == ["pop", "mfa"] and claims["email"] == EMAIL
    listed = await client.get("/auth/passkeys", headers=bearer(answer.json()["access_token"]))
    assert listed.json()[0]["last_used_at"] is not None
    assert passkey["id"] == listed.json()[0]["id"]


async def test_passwordless_needs_user_verification(client: httpx.AsyncClient) -> None:
    _, key, _ = await signed_up_with_key(client)
    request, flow = await options(client, email=EMAIL)
    assert_refused(await sign_in(client, flow, key.get(request, verified=False)))
    tokens = await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    mfa_token = tokens.json()["mfa_token"]
    request, flow = await options(client, mfa_token=mfa_token)
    done = await sign_in(client, flow, key.get(request, verified=False))
    kept = (await client.get("/auth/events", headers=bearer(done.json()["access_token"]))).json()
    assert [e["type"] for e in kept["events"][:2]] == ["login", "mfa_failed"]


async def test_a_password_sign_in_finishes_with_the_passkey(client: httpx.AsyncClient) -> None:
    _, key, _ = await signed_up_with_key(client)
    first = await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert (first.status_code, first.json()["code"]) == (403, "mfa_required")
    assert first.json()["methods"] == ["passkey"]
    mfa_token = first.json()["mfa_token"]
    request, flow = await options(client, mfa_token=mfa_token)
    allowed = [c["id"] for c in request["allowCredentials"]]
    assert allowed == [bytes_to_base64url(key.credential_id)]
    answer = await sign_in(client, flow, key.get(request, verified=False))
    assert answer.status_code == 200, answer.text
    assert claims_of(answer.json()["access_token"])["amr"] == ["pwd", "pop", "mfa"]
    used = await client.post("/auth/login/mfa", json={"mfa_token": mfa_token, "code": "123456"})
    assert used.status_code == 401


async def test_replays_and_backward_counters_are_refused(client: httpx.AsyncClient) -> None:
    _, key, _ = await signed_up_with_key(client)
    request, flow = await options(client)
    assertion = key.get(request, count=5)
    assert (await sign_in(client, flow, assertion)).status_code == 200
    assert_refused(await sign_in(client, flow, assertion))  # the flow is used up
    request, flow = await options(client)
    assert_refused(await sign_in(client, flow, assertion))  # another challenge
    request, flow = await options(client)
    assert_refused(await sign_in(client, flow, key.get(request, count=3)))  # cloned key?
    request, flow = await options(client)
    assert (await sign_in(client, flow, key.get(request, count=6))).status_code == 200


async def test_another_origin_or_relying_party_is_refused(client: httpx.AsyncClient) -> None:
    _, key, _ = await signed_up_with_key(client)
    request, flow = await options(client)
    assert_refused(await sign_in(client, flow, key.get(request, origin="https://evil.example")))
    request, flow = await options(client)
    assert_refused(await sign_in(client, flow, key.get(request, rp_id="evil.example")))


async def test_a_removed_passkey_is_refused(client: httpx.AsyncClient) -> None:
    tokens, key, passkey = await signed_up_with_key(client)
    await client.delete(f"/auth/passkeys/{passkey['id']}", headers=bearer(tokens["access_token"]))
    request, flow = await options(client)
    assert_refused(await sign_in(client, flow, key.get(request)))
    assert (await login(client, EMAIL))["access_token"]  # the password alone again


async def test_registering_needs_a_recent_sign_in_and_its_own_challenge(
    client: httpx.AsyncClient, clock: Any
) -> None:
    await register(client, EMAIL)
    tokens = await login(client, EMAIL)
    key = SoftKey(SITE, "auth.example.com")
    body = (
        await client.post("/auth/passkeys/register/options", headers=bearer(tokens["access_token"]))
    ).json()
    forged = dict(body, challenge="A" * 43)
    refused = await client.post(
        "/auth/passkeys/register",
        json={"credential": key.create(forged)},
        headers=bearer(tokens["access_token"]),
    )
    assert_refused(refused, 400)
    wrong_origin = await client.post(
        "/auth/passkeys/register",
        json={"credential": key.create(body, origin="https://evil.example")},
        headers=bearer(tokens["access_token"]),
    )
    assert_refused(wrong_origin, 400)
    clock.advance(601)
    refreshed = (
        await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    late = await client.post(
        "/auth/passkeys/register/options", headers=bearer(refreshed["access_token"])
    )
    assert (late.status_code, late.json()["code"]) == (403, "reauth_required")


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"rawId": "!!!", "response": {}},
        {"rawId": "AAAA", "response": {"clientDataJSON": "e30"}},
        {"id": 1, "rawId": ["x"], "response": "x"},
    ],
)
async def test_malformed_credentials_are_refused(
    client: httpx.AsyncClient, credential: Any
) -> None:
    await register(client, EMAIL)
    access = (await login(client, EMAIL))["access_token"]
    registered = await client.post(
        "/auth/passkeys/register", json={"credential": credential}, headers=bearer(access)
    )
    assert_refused(registered, 400)
    _, flow = await options(client)
    assert_refused(await sign_in(client, flow, credential))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/passkeys/login", {}),
        ("/auth/passkeys/login", {"flow": "x", "credential": "x"}),
        ("/auth/passkeys/login/options", {"mfa_token": 5}),
        ("/auth/passkeys/login/options", []),
    ],
)
async def test_bad_bodies_are_422(client: httpx.AsyncClient, path: str, body: Any) -> None:
    answer = await client.post(path, json=body)
    assert (answer.status_code, answer.json()["code"]) == (422, "validation_error")


async def test_an_unknown_flow_or_mfa_token_is_refused(client: httpx.AsyncClient) -> None:
    _, key, _ = await signed_up_with_key(client)
    request, _ = await options(client)
    assert_refused(await sign_in(client, "A" * 43, key.get(request)))
    stale = await client.post("/auth/passkeys/login/options", json={"mfa_token": "A" * 43})
    assert (stale.status_code, stale.json()["code"]) == (401, "mfa_invalid")


async def test_a_dead_mfa_token_cannot_be_finished_with_a_passkey(
    client: httpx.AsyncClient,
) -> None:
    """Options taken while the mfa token lived; then 5 wrong codes kill it: the
    passkey step is refused too."""
    _, key, _ = await signed_up_with_key(client)
    first = await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    mfa_token = first.json()["mfa_token"]
    request, flow = await options(client, mfa_token=mfa_token)
    assert request["userVerification"] == "preferred"
    for _ in range(5):
        wrong = await client.post(
            "/auth/login/mfa", json={"mfa_token": mfa_token, "code": "000000"}
        )
        assert wrong.status_code == 401
    assert_refused(await sign_in(client, flow, key.get(request)))
