"""Passwords: Argon2id, bcrypt verification and upgrade, off the event loop."""

from __future__ import annotations

import threading

import bcrypt
import pytest

from authgate.clock import perf_counter
from authgate.core.errors import ValidationFailed
from authgate.core.passwords import FAST_FOR_TESTS, OWASP, Passwords, check_password_policy


@pytest.fixture
def passwords() -> Passwords:
    return Passwords(FAST_FOR_TESTS, timer=perf_counter)


async def test_new_hashes_are_argon2id(passwords: Passwords) -> None:
    """A new hash is Argon2id with the configured parameters."""
    hashed = await passwords.hash("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert await passwords.verify("correct horse", hashed) == (True, None)
    assert (await passwords.verify("wrong horse", hashed))[0] is False


def test_owasp_parameters() -> None:
    """The default is OWASP's first Argon2id option: m=19 MiB, t=2, p=1."""
    assert (OWASP.memory_cost, OWASP.time_cost, OWASP.parallelism) == (19456, 2, 1)


#: The Argon2id vector of the reference implementation's own tests (phc-winner-argon2,
#: ``src/test.c``: "password", salt "somesalt", t=2, m=64 MiB, p=1), and the same input at
#: our parameters, as PyPI's portable wheel computes it.
KNOWN_HASHES = [
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$PL01amPyeUuxG7H0vIr5X+qHkZvWnHmGBGXFYvh8z2E",
]


@pytest.mark.parametrize("known", KNOWN_HASHES)
async def test_the_installed_argon2_computes_the_known_hashes(known: str) -> None:
    """Whichever build of argon2-cffi-bindings is installed (PyPI's wheel, or the AVX2
    build of ``scripts/build-argon2.sh``), it computes the same hashes: known ones
    verify, and a changed byte of the password does not."""
    passwords = Passwords(OWASP, timer=perf_counter)
    assert (await passwords.verify("password", known))[0] is True
    assert (await passwords.verify("passwore", known))[0] is False


@pytest.mark.parametrize("prefix", [b"$2a$", b"$2b$", b"$2y$"])
async def test_bcrypt_hashes_verify_and_upgrade(passwords: Passwords, prefix: bytes) -> None:
    """bcrypt hashes (as bcryptjs and Go write them) verify and come back as Argon2id."""
    hashed = prefix + bcrypt.hashpw(b"legacy pass", bcrypt.gensalt(4))[4:]
    valid, upgraded = await passwords.verify("legacy pass", hashed.decode())
    assert valid
    assert upgraded is not None and upgraded.startswith("$argon2id$")
    assert (await passwords.verify("legacy pass", upgraded)) == (True, None)


async def test_bcrypt_reads_only_72_bytes(passwords: Passwords) -> None:
    """Like bcryptjs: a long password's hash covers its first 72 bytes."""
    long_password = "L" * 100
    hashed = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
    assert (await passwords.verify(long_password, hashed))[0] is True


async def test_outdated_argon2_parameters_are_upgraded() -> None:
    """A hash with weaker parameters than configured is re-hashed at login."""
    old = await Passwords(FAST_FOR_TESTS, timer=perf_counter).hash("pw-pw-pw-pw")
    stronger = Passwords(
        type(FAST_FOR_TESTS)(time_cost=2, memory_cost=2048, parallelism=1), timer=perf_counter
    )
    valid, upgraded = await stronger.verify("pw-pw-pw-pw", old)
    assert valid and upgraded is not None and "m=2048,t=2" in upgraded


@pytest.mark.parametrize("stored", ["", "plaintext", "$2b$04$short", "$argon2id$garbage"])
async def test_unknown_hashes_never_match(passwords: Passwords, stored: str) -> None:
    """A corrupt stored hash is a mismatch, not an exception."""
    assert await passwords.verify("anything", stored) == (False, None)


async def test_hashing_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hash and verification happens in a worker thread, never the loop's."""
    passwords = Passwords(FAST_FOR_TESTS, timer=perf_counter)
    threads: list[str] = []
    original = passwords._verify_sync

    def spy(password: str, hashed: str) -> tuple[bool, str | None]:
        threads.append(threading.current_thread().name)
        return original(password, hashed)

    monkeypatch.setattr(passwords, "_verify_sync", spy)
    hashed = await passwords.hash("some password")
    await passwords.verify("some password", hashed)
    await passwords.verify_dummy("some password")
    assert threads and all(name.startswith("authgate-hash") for name in threads)
    assert threading.current_thread().name not in threads


@pytest.mark.parametrize("password", ["1234567", "x" * 1025, "\ud800" * 8])
def test_policy_refuses(password: str) -> None:
    """8 to 1024 characters of valid Unicode."""
    with pytest.raises(ValidationFailed):
        check_password_policy(password)


@pytest.mark.parametrize("password", ["12345678", "x" * 1024, "비밀번호비밀번호"])
def test_policy_accepts(password: str) -> None:
    check_password_policy(password)


async def test_memory_is_trimmed_only_once_hashing_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The allocator trim runs after a pause in hashing, never between busy hashes."""
    import asyncio

    from authgate.core import passwords as module

    monkeypatch.setattr(module, "IDLE_TRIM_SECONDS", 0.05)
    trimmed = threading.Event()
    trims: list[int] = []

    def trim() -> None:
        trims.append(1)
        trimmed.set()

    passwords = Passwords(FAST_FOR_TESTS, timer=perf_counter, trim=trim)
    hashed = await passwords.hash("some password")
    await passwords.verify("some password", hashed)
    assert trims == []  # the first hash's timer is superseded by the second's
    assert await asyncio.to_thread(trimmed.wait, 5.0)
    assert trims == [1]
