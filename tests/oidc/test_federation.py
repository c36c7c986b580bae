"""Sign-in through other providers: settings, linking rules, the ID token checks."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from authgate.core.errors import ConfigurationError, EmailTaken, Forbidden, MfaRequired
from authgate.core.federation import ExternalIdentity, check_id_token
from authgate.core.settings import load_settings
from tests.helpers import bearer, login, register

ISSUER = "https://sso.example.com"


def identity(email: str, verified: bool, subject: str = "s-1") -> ExternalIdentity:
    return ExternalIdentity(provider="corp", subject=subject, email=email, email_verified=verified)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            '{"corp": {"client_id": "c"}}', "corp: an issuer URL is required", id="no-issuer"
        ),
        pytest.param(
            '{"corp": {"issuer": "http://sso.example.com", "client_id": "c"}}', "https", id="http"
        ),
        pytest.param("{", "not JSON", id="not-json"),
        pytest.param('{"Corp X": {"client_id": "c"}}', "a name is", id="bad-name"),
        pytest.param('{"google": {}}', "client_id is required", id="no-client-id"),
        pytest.param(
            '{"google": {"client_id": "c", "tenant": 1}}', "unknown settings", id="unknown"
        ),
    ],
)
def test_bad_providers_stop_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    """One line, naming AUTHGATE_OIDC_PROVIDERS."""
    monkeypatch.setenv("AUTHGATE_OIDC_PROVIDERS", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    line = str(caught.value)
    assert line.startswith("AUTHGATE_OIDC_PROVIDERS: ") and message in line
    assert "\n" not in line


def test_known_providers_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """google by its issuer, github without one (OAuth 2.0), loopback http for tests."""
    monkeypatch.setenv(
        "AUTHGATE_OIDC_PROVIDERS",
        '{"google": {"client_id": "g", "client_secret": "x"}, "github": {"client_id": "h"},'
        ' "corp": {"issuer": "http://127.0.0.1:9000/", "client_id": "c"}}',
    )
    providers = load_settings().oidc_providers
    assert providers["google"].issuer == "https://accounts.google.com"
    assert providers["github"].is_github and providers["github"].display_name == "GitHub"
    assert providers["corp"].issuer == "http://127.0.0.1:9000"
    assert "x" not in repr(providers["google"])


def claims(**changes: Any) -> dict[str, Any]:
    base = {"iss": ISSUER, "aud": "rp", "sub": "u1", "exp": 2000, "iat": 1000, "nonce": "n"}
    return {**base, **changes}


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"iss": "https://evil.example"}, id="iss"),
        pytest.param({"aud": "other"}, id="aud"),
        pytest.param({"aud": ["rp", "other"]}, id="aud-list-no-azp"),
        pytest.param({"exp": 900}, id="expired"),
        pytest.param({"exp": "2000"}, id="exp-string"),
        pytest.param({"iat": 5000}, id="iat-future"),
        pytest.param({"nonce": "other"}, id="nonce"),
        pytest.param({"sub": 7}, id="sub-number"),
    ],
)
def test_id_token_checks(changes: dict[str, Any]) -> None:
    """OIDC Core §3.1.3.7: each claim that does not check out is refused."""
    with pytest.raises(ValueError):
        check_id_token(
            claims(**changes), issuer=ISSUER, client_id="rp", nonce="n", now=1500, leeway=10
        )
    assert (
        check_id_token(claims(), issuer=ISSUER, client_id="rp", nonce="n", now=1500, leeway=10)
        == "u1"
    )


async def test_verified_email_links_unverified_does_not(client: Any, gate: Any) -> None:
    """A verified address signs into the existing account (and links); an unverified
    one is refused; a new address gets a new account without a usable password."""
    user = await register(client, "alice@example.com")
    federation = gate.runtime.federation
    with pytest.raises(EmailTaken):
        await federation.sign_in(identity("alice@example.com", False))
    pair = await federation.sign_in(identity("Alice@Example.com", True))
    principal = gate.service.authenticate(pair.access_token)
    assert principal.id == user["id"] and principal.amr == ("fed",)
    again = await federation.sign_in(identity("changed@example.com", False))
    assert gate.service.authenticate(again.access_token).id == user["id"]

    fresh = await federation.sign_in(identity("new@example.com", True, subject="s-2"))
    newcomer = gate.service.authenticate(fresh.access_token)
    assert newcomer.id != user["id"] and newcomer.email_verified
    refused = await client.post(
        "/auth/login", json={"email": "new@example.com", "password": "!external"}
    )
    assert refused.status_code == 401
    with pytest.raises(Forbidden):
        await federation.unlink(newcomer, "corp")
    tokens = await login(client, "alice@example.com")
    unlinked = await client.delete("/auth/identities/corp", headers=bearer(tokens["access_token"]))
    assert unlinked.status_code == 204
    assert (
        await client.get("/auth/identities", headers=bearer(tokens["access_token"]))
    ).json() == []


async def test_second_factor_is_still_asked(client: Any, gate: Any) -> None:
    """An account with an authenticator app gets the code step, not a session."""
    await register(client, "bob@example.com")
    tokens = await login(client, "bob@example.com")
    setup = await client.post("/auth/mfa/totp", headers=bearer(tokens["access_token"]))
    code = pyotp.TOTP(setup.json()["secret"]).at(gate.service.clock())
    confirmed = await client.post(
        "/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(tokens["access_token"])
    )
    assert confirmed.status_code == 200, confirmed.text
    with pytest.raises(MfaRequired):
        await gate.runtime.federation.sign_in(identity("bob@example.com", True))
