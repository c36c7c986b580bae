"""The AuthService over in-memory stores: the rules without any I/O."""

from __future__ import annotations

from typing import Any

import pytest
from pwdlib.hashers.argon2 import Argon2Hasher

from authgate.clock import perf_counter
from authgate.core.errors import (
    EmailTaken,
    InvalidCredentials,
    RefreshReused,
    TokenRevoked,
    TooManyAttempts,
)
from authgate.core.keys import KeyRing
from authgate.core.models import Revocation
from authgate.core.passwords import FAST_FOR_TESTS, Passwords
from authgate.core.revocation import LocalRevocations
from authgate.core.service import AuthService
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens
from authgate.storage.memory import MemoryRevocationStore, MemorySessions, MemoryUsers
from authgate.storage.memory_limits import MemoryRateLimiter


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def build(**settings: Any) -> tuple[AuthService, Passwords]:
    clock = Clock()
    users = MemoryUsers()
    passwords = Passwords(FAST_FOR_TESTS, timer=perf_counter)
    config = Settings(secret="s" * 40, **settings)
    service = AuthService(
        settings=config,
        users=users,
        sessions=MemorySessions(users),
        revocations=LocalRevocations(MemoryRevocationStore(), clock=clock, monotonic=clock),
        passwords=passwords,
        tokens=AccessTokens(KeyRing.hmac(b"s" * 40), ttl=config.access_ttl_seconds),
        limiter=MemoryRateLimiter(),
        clock=clock,
    )
    return service, passwords


async def test_unknown_email_costs_one_dummy_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown email and a wrong password both run exactly one verification and
    raise the same error (no enumeration by answer or by time)."""
    service, _ = build()
    await service.register("alice@example.com", "right password")
    calls: list[str] = []
    real_verify = Argon2Hasher.verify

    def counting(self: Argon2Hasher, password: str | bytes, hashed: str | bytes) -> bool:
        calls.append(str(hashed)[:9])
        return real_verify(self, password, hashed)

    monkeypatch.setattr(Argon2Hasher, "verify", counting)
    errors = []
    for email in ("nobody@example.com", "alice@example.com"):
        with pytest.raises(InvalidCredentials) as caught:
            await service.login(email, "wrong password")
        errors.append((type(caught.value), caught.value.code))
    assert errors[0] == errors[1]
    assert calls == ["$argon2id", "$argon2id"]


async def test_register_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    service, _ = build()
    await service.register("a@example.com", "password1")
    with pytest.raises(EmailTaken):
        await service.register("A@EXAMPLE.COM", "password2")


async def test_reuse_revokes_access_tokens() -> None:
    """Reuse of a rotated refresh token revokes the session's access tokens too."""
    service, _ = build()
    await service.register("a@example.com", "password1")
    first = await service.login("a@example.com", "password1")
    second = await service.refresh(first.refresh_token)
    with pytest.raises(RefreshReused):
        await service.refresh(first.refresh_token)
    with pytest.raises(TokenRevoked):
        service.authenticate(second.access_token)


async def test_lockout_after_failures() -> None:
    """After the account's limit of failures, even the right password gets 429."""
    service, _ = build(limit_login_account="3 per minute", limit_login_address="off")
    await service.register("a@example.com", "password1")
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await service.login("a@example.com", "wrong!!!", address="1.2.3.4")
    with pytest.raises(TooManyAttempts) as caught:
        await service.login("a@example.com", "password1", address="1.2.3.4")
    assert 1 <= caught.value.retry_after <= 60
    await service.register("b@example.com", "password1")
    await service.login("b@example.com", "password1", address="1.2.3.4")


async def test_a_token_issued_in_the_second_of_a_cutoff_waits_for_it() -> None:
    """Taking a role back refuses the user's tokens up to the end of the second; a
    refresh in that second waits for the next one (under a second) rather than hand
    out a token refused at once. A cutoff further ahead (another host's clock) is
    not waited for."""
    service, _ = build()
    context = service.accounts.context
    clock = context.clock
    assert isinstance(clock, Clock)
    clock.now = 1_800_000_000.25
    await service.register("a@example.com", "password1")
    await service.set_role("a@example.com", "auditor", granted=True)
    pair = await service.login("a@example.com", "password1")
    await service.set_role("a@example.com", "auditor", granted=False)
    started = perf_counter()
    renewed = await service.refresh(pair.refresh_token)
    # 0.75 s to the next second; a wait to the second after it would be 1.75 s
    assert 0.5 < perf_counter() - started < 1.5
    principal = service.authenticate(renewed.access_token)
    assert (principal.issued_at, principal.roles) == (1_800_000_001, ())
    user = await context.users.by_email("a@example.com")
    assert user is not None
    ahead = Revocation(kind="user", subject=user.id, cutoff=1_800_000_009, expires_at=2 * 10**9)
    await context.revocations.revoke(ahead)
    started = perf_counter()
    await service.refresh(renewed.refresh_token)
    assert perf_counter() - started < 2.0  # waiting for that cutoff would be 8.75 s
