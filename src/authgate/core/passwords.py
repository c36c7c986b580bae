"""Password hashing with pwdlib: Argon2id for new hashes, bcrypt verified and upgraded.

Hashing is slow on purpose, so it never runs on the event loop: every hash and
verification goes to a small dedicated thread pool (argon2-cffi and bcrypt release
the GIL). The pool's size bounds how many hashes run at once, so that a storm of
logins cannot take the whole core from the requests the loop is serving; the
threads run at a lower CPU priority for the same reason.

Argon2id needs its memory cost (19 MiB) of working memory per hash. The allocator
keeps it between hashes (giving it back and faulting it in again would make every
hash ~50 % slower here), and returns it to the OS once logins pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from authgate.core.errors import ValidationFailed
from authgate.core.ports import Clock
from authgate.libc import malloc_trim

log = logging.getLogger("authgate.passwords")

T = TypeVar("T")

MIN_LENGTH = 8
MAX_LENGTH = 1024
BCRYPT_MAX_BYTES = 72
#: The costliest bcrypt hash accepted at import (x2 per step; 10 is usual, 12 takes
#: ~250 ms here). A failed login takes as long as verifying one of this cost.
MAX_BCRYPT_COST = 12


@dataclass(frozen=True, slots=True)
class Argon2Params:
    """Argon2id cost parameters (RFC 9106 §4), and the bcrypt cost that the time of
    a failed login is made equal to (imported users: :data:`MAX_BCRYPT_COST`)."""

    time_cost: int
    memory_cost: int  # KiB
    parallelism: int
    bcrypt_cost: int = MAX_BCRYPT_COST


#: OWASP Password Storage Cheat Sheet, first Argon2id option: m=19 MiB, t=2, p=1.
#: About 40 ms per hash on this project's 2-core test machine.
OWASP = Argon2Params(time_cost=2, memory_cost=19456, parallelism=1)
#: Cheap parameters for tests only (never for real passwords).
FAST_FOR_TESTS = Argon2Params(time_cost=1, memory_cost=1024, parallelism=1, bcrypt_cost=4)
#: A failed login lasts this many times the slowest verification measured at the
#: first failure, so that load on the machine does not let a slow kind show through.
FAILURE_FLOOR_MARGIN = 1.5


class _Bcrypt72Hasher(BcryptHasher):
    """bcrypt verification as bcryptjs and Go's x/crypto/bcrypt hashed: first 72 bytes.

    bcrypt only ever reads 72 bytes of a password; bcrypt>=5 raises instead of
    truncating, so imported hashes of longer passwords would otherwise never match.
    """

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        raw = password.encode() if isinstance(password, str) else password
        return super().verify(raw[:BCRYPT_MAX_BYTES], hash)


def check_password_policy(password: str) -> None:
    """Raises ValidationFailed unless 8 to 1024 characters of valid Unicode."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationFailed(f"password must be {MIN_LENGTH} to {MAX_LENGTH} characters long")
    if not is_encodable(password):
        raise ValidationFailed("password is not valid Unicode text")


def is_encodable(text: str) -> bool:
    """False for strings with lone surrogates (JSON allows them, UTF-8 does not)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


#: Seconds without a hash after which Argon2's working memory goes back to the OS.
IDLE_TRIM_SECONDS = 2.0


def lower_thread_priority(niceness: int) -> None:
    """Give the calling thread this nice value. Linux applies nice values per thread:
    a hashing (or checkpointing) thread yields the core to the event loop thread
    whenever both want it; elsewhere nothing changes."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


class Passwords:
    """Hash and verify passwords off the event loop."""

    def __init__(
        self,
        params: Argon2Params = OWASP,
        *,
        timer: Clock,
        concurrency: int = 1,
        niceness: int = 10,
        trim: Callable[[], object] | bool | None = True,
    ) -> None:
        """``timer`` measures how long a verification took (a monotonic clock, in
        seconds): failed logins are answered no sooner than the failure floor.
        ``trim`` runs in the hashing thread once hashing pauses (True: glibc's
        ``malloc_trim`` where there is one; False or None: nothing)."""
        self.params = params
        self.timer = timer
        #: Hashes submitted and not finished (waiting for a thread, or running).
        self.pending = 0
        #: Told each hash's (or verification's) duration in seconds, on its thread.
        self.on_hash: Callable[[float], None] | None = None
        self._hasher = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=params.time_cost,
                    memory_cost=params.memory_cost,
                    parallelism=params.parallelism,
                ),
                _Bcrypt72Hasher(),
            )
        )
        self._pool = ThreadPoolExecutor(
            max_workers=concurrency,
            thread_name_prefix="authgate-hash",
            initializer=lower_thread_priority,
            initargs=(niceness,),
        )
        # A real hash of a random password: an unknown email is checked against it
        # so that its answer takes as long as a wrong password's (no user
        # enumeration by timing; cf. fastapi-users' DUMMY_HASH). Made by the pool,
        # like every hash: Argon2's 19 MiB buffer then lives in the hashing thread's
        # memory arena, reused by each hash, instead of being kept by a second one.
        self._dummy = self._pool.submit(self._hasher.hash, os.urandom(16).hex())
        self._trim = malloc_trim() if trim is True else (trim or None)
        self._hashes = 0
        self._floor: float | None = None

    async def hash(self, password: str) -> str:
        """Hash a new password with Argon2id."""
        return await self._run(self._hasher.hash, password)

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Check a password; also return a new hash if the stored one is outdated.

        An unrecognised stored hash counts as a mismatch (and is logged).
        """
        return await self._run(self._verify_sync, password, password_hash)

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification, for an account that does not exist."""
        await self._run(self._verify_dummy_sync, password)

    async def check_login(
        self, password: str, password_hash: str | None
    ) -> tuple[bool, str | None]:
        """Verify a login's password against the account's hash (None: no such
        account), like :meth:`verify`; a failure is answered no sooner than the
        failure floor.

        Without the floor, a wrong password took 34 ms for an unknown email or an
        Argon2 user and 67 ms to 250 ms for an imported bcrypt user: the time told
        which emails are registered, and how (OWASP Authentication Cheat Sheet:
        "Authentication Responses" — same answer, same time). The floor is the
        slowest verification of either kind (Argon2 at our parameters, bcrypt at
        the costliest cost accepted at import), measured once, times a margin.
        The wait is a sleep: it costs no CPU and holds no hashing thread.
        """
        started = self.timer()
        if password_hash is None:
            await self.verify_dummy(password)
            result: tuple[bool, str | None] = (False, None)
        else:
            result = await self.verify(password, password_hash)
        if not result[0]:
            floor = self._floor if self._floor is not None else await self._calibrate()
            remaining = floor - (self.timer() - started)
            if remaining > 0:
                await asyncio.sleep(remaining)
        return result

    async def _calibrate(self) -> float:
        """Measure the failure floor (once; concurrent first failures may each
        measure, harmlessly)."""
        self._floor = await self._run(self._measure_floor)
        return self._floor

    def _measure_floor(self) -> float:
        # Hashing costs what verifying costs (the same key derivation), and timing
        # hashes of random passwords leaves the verification counters alone.
        durations = []
        for hasher in (self._hasher.hashers[0], _Bcrypt72Hasher(rounds=self.params.bcrypt_cost)):
            started = self.timer()
            hasher.hash(os.urandom(16).hex())
            durations.append(self.timer() - started)
        return max(durations) * FAILURE_FLOOR_MARGIN

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _verify_sync(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        try:
            return self._hasher.verify_and_update(password, password_hash)
        except (UnknownHashError, ValueError):
            log.warning("a stored password hash is malformed or of an unknown format")
            self._verify_dummy_sync(password)
            return False, None

    def _verify_dummy_sync(self, password: str) -> tuple[bool, None]:
        self._hasher.verify(password, self._dummy.result())
        return False, None

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        self._hashes += 1
        self.pending += 1
        try:
            return await loop.run_in_executor(self._pool, self._timed, func, *args)
        finally:
            self.pending -= 1
            if self._trim is not None:
                loop.call_later(IDLE_TRIM_SECONDS, self._trim_if_idle, self._hashes)

    def _timed(self, func: Callable[..., T], *args: Any) -> T:
        """``func`` on the hashing thread, its duration told to ``on_hash``."""
        started = self.timer()
        try:
            return func(*args)
        finally:
            if self.on_hash is not None:
                self.on_hash(self.timer() - started)

    def _trim_if_idle(self, hashes_then: int) -> None:
        """If no hash started since, give freed memory back (on the pool's thread)."""
        if hashes_then == self._hashes and self._trim is not None:
            with contextlib.suppress(RuntimeError):  # the pool was shut down meanwhile
                self._pool.submit(self._trim)
