"""Account recovery and email through the API (API.md §3.1), with every mail sent by
the app's own sender to a real SMTP server (aiosmtpd in its own process), on SQLite
and on PostgreSQL."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers import PASSWORD, bearer, claims_of, login, register
from tests.mailserver import MailServer, links_in

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
async def mail_app(app_factory: Any, mail_server: MailServer) -> tuple[Any, Any]:
    return await app_factory(smtp_url=mail_server.url, public_url="https://auth.example.com")


@pytest.fixture
async def client(mail_app: tuple[Any, Any]) -> Any:
    app, _ = mail_app
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def mails_to(server: MailServer, address: str, count: int = 1) -> list[EmailMessage]:
    return await asyncio.to_thread(server.wait_for, address, count=count)


def token_in(
    message: EmailMessage, page: str, site: str | None = "https://auth.example.com"
) -> str:
    """The token of the message's link to ``page`` (links are ``<site>/#/<page>?token=…``,
    ``site`` being AUTHGATE_PUBLIC_URL)."""
    for link in links_in(message):
        parts = urlsplit(link)
        route, _, query = parts.fragment.partition("?")
        if route == f"/{page}":
            assert site is None or f"{parts.scheme}://{parts.netloc}" == site, link
            return parse_qs(query)["token"][0]
    raise AssertionError(f"no link to {page} in {links_in(message)}")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def forgot(client: httpx.AsyncClient, email: str, **headers: str) -> httpx.Response:
    return await client.post("/auth/password/forgot", json={"email": email}, headers=headers)


async def reset(
    client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    return await client.post(
        "/auth/password/reset", json={"token": token, "new_password": password}
    )


async def me(client: httpx.AsyncClient, access: str) -> Any:
    response = await client.get("/auth/me", headers=bearer(access))
    assert response.status_code == 200, response.text
    return response.json()


def assert_link_invalid(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "link_invalid"


# -- verification ---------------------------------------------------------------------


async def test_registration_sends_a_verification_link_that_verifies(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    tokens = await login(client, "alice@example.com")
    assert (await me(client, tokens["access_token"]))["email_verified"] is False
    assert claims_of(tokens["access_token"])["email_verified"] is False
    [mail] = await mails_to(mail_server, "alice@example.com")
    assert mail["Content-Language"] == "en"
    token = token_in(mail, "verify-email")
    assert token not in str(mail["Subject"])
    verified = await client.post("/auth/email/verify", json={"token": token})
    assert verified.status_code == 204, verified.text
    assert (await me(client, tokens["access_token"]))["email_verified"] is True
    again = await client.post("/auth/email/verify", json={"token": token})
    assert_link_invalid(again)
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert claims_of(refreshed.json()["access_token"])["email_verified"] is True


async def test_mails_are_in_the_language_of_the_request(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    response = await client.post(
        "/auth/register",
        json={"email": "minji@example.com", "password": PASSWORD},
        headers={"Accept-Language": "ko-KR,ko;q=0.9"},
    )
    assert response.status_code == 201
    [mail] = await mails_to(mail_server, "minji@example.com")
    assert mail["Content-Language"] == "ko"
    assert mail.get_body(("html",)) is not None


async def test_resend_sends_a_new_link_and_ends_the_old(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    tokens = await login(client, "alice@example.com")
    [first] = await mails_to(mail_server, "alice@example.com")
    resent = await client.post("/auth/email/verify/resend", headers=bearer(tokens["access_token"]))
    assert (resent.status_code, resent.json()) == (202, {})
    second = (await mails_to(mail_server, "alice@example.com", count=2))[1]
    assert_link_invalid(
        await client.post("/auth/email/verify", json={"token": token_in(first, "verify-email")})
    )
    ok = await client.post("/auth/email/verify", json={"token": token_in(second, "verify-email")})
    assert ok.status_code == 204


async def test_resend_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/email/verify/resend")
    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"


async def test_an_unverified_login_is_refused_only_after_the_password(
    app_factory: Any, mail_server: MailServer
) -> None:
    app, _ = await app_factory(
        smtp_url=mail_server.url, public_url="https://auth.example.com", require_verified_email=True
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        await register(http, "alice@example.com")
        wrong = await http.post(
            "/auth/login", json={"email": "alice@example.com", "password": "not the password"}
        )
        assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
        right = await http.post(
            "/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert (right.status_code, right.json()["code"]) == (403, "email_unverified")
        assert "access_token" not in right.json() and "set-cookie" not in right.headers
        [mail] = await mails_to(mail_server, "alice@example.com")
        await http.post("/auth/email/verify", json={"token": token_in(mail, "verify-email")})
        assert (await login(http, "alice@example.com"))["access_token"]


# -- password reset -------------------------------------------------------------------


async def test_forgot_answers_the_same_for_any_address(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    known = await forgot(client, "Alice@Example.com")
    unknown = await forgot(client, "nobody@example.com")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json()) == (202, {})
    assert known.headers.keys() == unknown.headers.keys()
    mails = await mails_to(mail_server, "alice@example.com", count=2)  # verification, reset
    token_in(mails[1], "reset-password")
    await asyncio.sleep(0.5)
    assert not [m for m in mail_server.messages() if m["To"] == "nobody@example.com"]


async def test_reset_sets_the_password_and_ends_every_session(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    before = await login(client, "alice@example.com")
    await forgot(client, "alice@example.com")
    mail = (await mails_to(mail_server, "alice@example.com", count=2))[1]
    assert "30" in text_of(mail)
    token = token_in(mail, "reset-password")
    done = await reset(client, token)
    assert done.status_code == 204, done.text
    old = await client.get("/auth/me", headers=bearer(before["access_token"]))
    assert (old.status_code, old.json()["code"]) == (401, "token_revoked")
    refresh = await client.post("/auth/refresh", json={"refresh_token": before["refresh_token"]})
    assert refresh.status_code == 401
    wrong = await client.post(
        "/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == 401
    after = await login(client, "alice@example.com", NEW_PASSWORD)
    assert (await me(client, after["access_token"]))["email_verified"] is True
    assert_link_invalid(await reset(client, token, "yet another password"))


async def test_a_newer_reset_link_supersedes_the_older(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    await forgot(client, "alice@example.com")
    await mails_to(mail_server, "alice@example.com", count=2)
    await forgot(client, "alice@example.com")
    mails = await mails_to(mail_server, "alice@example.com", count=3)
    older, newer = token_in(mails[1], "reset-password"), token_in(mails[2], "reset-password")
    assert_link_invalid(await reset(client, older))
    assert (await reset(client, newer)).status_code == 204


async def test_a_reset_link_expires_after_30_minutes(
    client: httpx.AsyncClient, mail_server: MailServer, clock: Any
) -> None:
    await register(client, "alice@example.com")
    await forgot(client, "alice@example.com")
    token = token_in(
        (await mails_to(mail_server, "alice@example.com", count=2))[1], "reset-password"
    )
    clock.advance(30 * 60 + 1)
    assert_link_invalid(await reset(client, token))


async def test_a_password_change_ends_the_links(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    tokens = await login(client, "alice@example.com")
    await forgot(client, "alice@example.com")
    mails = await mails_to(mail_server, "alice@example.com", count=2)
    changed = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(tokens["access_token"]),
    )
    assert changed.status_code == 204
    assert_link_invalid(await reset(client, token_in(mails[1], "reset-password")))
    assert_link_invalid(
        await client.post("/auth/email/verify", json={"token": token_in(mails[0], "verify-email")})
    )


@pytest.mark.parametrize(
    "token", ["x", "A" * 43, "A" * 256, "../../etc/passwd", "\u00e9\u00e9\u00e9", "0" * 64]
)
async def test_garbage_links_are_link_invalid(client: httpx.AsyncClient, token: str) -> None:
    assert_link_invalid(await reset(client, token))
    assert_link_invalid(await client.post("/auth/email/verify", json={"token": token}))


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": 5}, {"token": "A" * 257}, []])
async def test_malformed_link_bodies_are_422(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post("/auth/email/verify", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_a_tampered_link_is_link_invalid(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    token = token_in((await mails_to(mail_server, "alice@example.com"))[0], "verify-email")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert_link_invalid(await client.post("/auth/email/verify", json={"token": flipped}))
    # the reset route does not take a verification link
    assert_link_invalid(await reset(client, token))


async def test_a_reset_link_is_not_a_verification_link(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    await forgot(client, "alice@example.com")
    token = token_in(
        (await mails_to(mail_server, "alice@example.com", count=2))[1], "reset-password"
    )
    assert_link_invalid(await client.post("/auth/email/verify", json={"token": token}))
    assert (await reset(client, token)).status_code == 204


# -- email change ---------------------------------------------------------------------


async def change_email(
    client: httpx.AsyncClient, access: str, new_email: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/auth/email",
        json={"new_email": new_email, "password": password},
        headers=bearer(access),
    )


async def test_email_change_confirms_at_the_new_address_and_tells_the_old(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    tokens = await login(client, "alice@example.com")
    asked = await change_email(client, tokens["access_token"], "Alice@New.example")
    assert (asked.status_code, asked.json()) == (202, {})
    [confirm] = await mails_to(mail_server, "Alice@New.example")
    notice = (await mails_to(mail_server, "alice@example.com", count=2))[1]
    assert not links_in(notice) or all("token=" not in link for link in links_in(notice))
    assert "Alice@new.example" in text_of(notice)
    assert (await me(client, tokens["access_token"]))["email"] == "alice@example.com"
    done = await client.post(
        "/auth/email/verify", json={"token": token_in(confirm, "verify-email")}
    )
    assert done.status_code == 204, done.text
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    access = refreshed.json()["access_token"]
    assert claims_of(access)["email"] == "Alice@new.example"
    assert (await me(client, access))["email_verified"] is True
    assert (await login(client, "alice@new.example"))["access_token"]
    old = await client.post(
        "/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401


async def test_email_change_refusals(client: httpx.AsyncClient) -> None:
    await register(client, "alice@example.com")
    await register(client, "bob@example.com")
    access = (await login(client, "alice@example.com"))["access_token"]
    wrong = await change_email(client, access, "new@example.com", "not the password")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    taken = await change_email(client, access, "BOB@example.com")
    assert (taken.status_code, taken.json()["code"]) == (409, "email_taken")
    bad = await change_email(client, access, "not an address")
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")


async def test_an_address_registered_meanwhile_is_email_taken(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    access = (await login(client, "alice@example.com"))["access_token"]
    assert (await change_email(client, access, "new@example.com")).status_code == 202
    [confirm] = await mails_to(mail_server, "new@example.com")
    await register(client, "NEW@example.com")
    taken = await client.post(
        "/auth/email/verify", json={"token": token_in(confirm, "verify-email")}
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "email_taken")
    assert (await me(client, access))["email"] == "alice@example.com"


@pytest.mark.parametrize(
    "address",
    [
        "victim@example.com\r\nBcc: all@example.com",
        "a@b.com\nSubject: hi",
        "x@y.com\x00",
        "a@b@c.com",
    ],
)
async def test_header_injection_is_refused_on_every_path_that_mails(
    client: httpx.AsyncClient, address: str
) -> None:
    registered = await client.post("/auth/register", json={"email": address, "password": PASSWORD})
    assert registered.status_code == 422
    assert (await forgot(client, address)).status_code == 422
    await register(client, "alice@example.com")
    access = (await login(client, "alice@example.com"))["access_token"]
    assert (await change_email(client, access, address)).status_code == 422


# -- limits ---------------------------------------------------------------------------


async def test_an_account_gets_at_most_three_mails_an_hour(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    await register(client, "alice@example.com")
    await mails_to(mail_server, "alice@example.com")  # the registration's: not counted
    for _ in range(5):
        response = await forgot(client, "alice@example.com")
        assert (response.status_code, response.json()) == (202, {})
    await mails_to(mail_server, "alice@example.com", count=4)
    await asyncio.sleep(1.0)
    assert len([m for m in mail_server.messages() if m["To"] == "alice@example.com"]) == 4


async def test_mail_requests_are_limited_per_address(
    app_factory: Any, mail_server: MailServer
) -> None:
    app, _ = await app_factory(smtp_url=mail_server.url, limit_mail_address="2 per hour")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        for _ in range(2):
            assert (await forgot(http, "someone@example.com")).status_code == 202
        refused = await forgot(http, "someone@example.com")
        assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
        assert int(refused.headers["retry-after"]) > 0


# -- account deletion -----------------------------------------------------------------


async def test_deleting_the_account_removes_it_and_refuses_its_tokens(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "alice@example.com")
    tokens = await login(client, "alice@example.com")
    other = await login(client, "alice@example.com")
    made = await client.post("/plans", json={"title": "x"}, headers=bearer(tokens["access_token"]))
    assert made.status_code == 201
    wrong = await client.request(
        "DELETE", "/auth/me", json={"password": "nope nope"}, headers=bearer(tokens["access_token"])
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    deleted = await client.request(
        "DELETE", "/auth/me", json={"password": PASSWORD}, headers=bearer(tokens["access_token"])
    )
    assert deleted.status_code == 204, deleted.text
    for access in (tokens["access_token"], other["access_token"]):
        refused = await client.get("/plans", headers=bearer(access))
        assert refused.status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert refresh.status_code == 401
    gone = await client.post(
        "/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert gone.status_code == 401
    again = await client.post(
        "/auth/register", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert again.status_code == 201
    fresh = await login(client, "alice@example.com")
    plans = await client.get("/plans", headers=bearer(fresh["access_token"]))
    assert plans.json() == []


async def test_deleting_needs_the_password_in_the_body(client: httpx.AsyncClient) -> None:
    await register(client, "alice@example.com")
    access = (await login(client, "alice@example.com"))["access_token"]
    response = await client.request("DELETE", "/auth/me", headers=bearer(access))
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
