"""Second factors (API.md §3.2, first part): authenticator apps (RFC 6238 TOTP:
SHA-1, 6 digits, 30 s, ±1 step of drift, each step accepted once) with 10 single-use
recovery codes, the sign-in step that asks for them, and "recent sign-in" for the
actions that change factors.

A sign-in whose password checks out for a user with a confirmed app gets no tokens:
an ``mfa_token`` (256 bits, stored hashed, 5 minutes, single use, dead after 5 wrong
codes) that ``complete`` trades, with a code, for a session. Wrong codes count toward
the account's login limit like wrong passwords.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import timedelta

import pyotp

from authgate.core.accounts import Accounts
from authgate.core.context import ServiceContext, to_datetime
from authgate.core.digests import token_digest
from authgate.core.emails import login_key
from authgate.core.errors import (
    MfaExists,
    MfaInvalid,
    MfaMissing,
    MfaRequired,
)
from authgate.core.factor_ports import MfaStore, PasskeyStore
from authgate.core.models import MfaChallenge, Principal, TotpFactor, User
from authgate.core.policies import check_recent

log = logging.getLogger("authgate")

CHALLENGE_SECONDS = 300
MAX_WRONG_CODES = 5
RECOVERY_CODES = 10
TOTP_STEP = 30
TOTP_DIGITS = 6
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_MAX_CODE_CHARS = 64


def normalize_recovery_code(code: str) -> str:
    """A recovery code as stored: lower case, without spaces or dashes."""
    return "".join(c for c in code.lower() if c not in " -")


def new_recovery_codes() -> list[str]:
    """Ten codes of 10 characters from a 31-letter alphabet (49 bits each), shown
    ``xxxxx-xxxxx``."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is, within ±1 step of ``now``; else None."""
    if not secret or len(code) != TOTP_DIGITS or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP)
    found = None
    for offset in (-1, 0, 1):
        at = now + offset * TOTP_STEP
        if hmac.compare_digest(totp.at(at), code):
            found = int(at) // TOTP_STEP
    return found


class Mfa:
    """Enrol, confirm, remove an authenticator app; recovery codes; the sign-in step."""

    def __init__(
        self,
        context: ServiceContext,
        accounts: Accounts,
        store: MfaStore,
        passkeys: PasskeyStore | None = None,
    ) -> None:
        self.context = context
        self.accounts = accounts
        self.store = store
        self.passkeys = passkeys

    def require_recent(self, principal: Principal) -> None:
        """Raises ReauthRequired unless the caller signed in within
        AUTHGATE_REAUTH_MAX_AGE (a refresh keeps the time of the sign-in)."""
        check_recent(principal, self.context.clock(), self.context.settings.reauth_max_age)

    async def totp_enabled(self, user_id: str) -> bool:
        factor = await self.store.totp(user_id)
        return factor is not None and factor.confirmed_at is not None

    async def passkey_count(self, user_id: str) -> int:
        return await self.passkeys.count(user_id) if self.passkeys is not None else 0

    async def methods(self, user_id: str) -> list[str]:
        """The second factors a sign-in of this user may finish with (none: one
        factor is enough)."""
        methods = ["totp", "recovery_code"] if await self.totp_enabled(user_id) else []
        return [*methods, "passkey"] if await self.passkey_count(user_id) else methods

    async def enroll(self, principal: Principal) -> tuple[str, str]:
        """A new pending secret: ``(secret, otpauth_uri)``; a pending one is replaced.

        Raises:
            ReauthRequired: the sign-in is not recent.
            MfaExists: an app is set up already.
        """
        self.require_recent(principal)
        user = await self.accounts.me(principal)
        secret = pyotp.random_base32()
        factor = TotpFactor(
            user_id=user.id, secret=secret, created_at=to_datetime(self.context.clock())
        )
        if not await self.store.put_pending(factor):
            raise MfaExists()
        uri = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP).provisioning_uri(
            name=user.email, issuer_name=self.issuer_name()
        )
        return secret, uri

    def issuer_name(self) -> str:
        """The app's label: "authgate", or AUTHGATE_ISSUER's host when it is a URL."""
        issuer = self.context.settings.issuer or ""
        host = issuer.split("://", 1)[1].split("/", 1)[0] if "://" in issuer else ""
        return host or "authgate"

    async def confirm(self, principal: Principal, code: str) -> list[str]:
        """Confirm the pending app with a code from it; the recovery codes (once).

        Raises:
            MfaInvalid: a wrong code, or nothing pending.
        """
        user = await self.accounts.me(principal)
        factor = await self.store.totp(user.id)
        now = self.context.clock()
        if factor is None or factor.confirmed_at is not None:
            raise MfaInvalid("nothing pending")
        step = totp_step(factor.secret, code.strip(), now)
        if step is None:
            raise MfaInvalid("wrong code")
        codes = new_recovery_codes()
        hashes = [token_digest(normalize_recovery_code(c)) for c in codes]
        self.context.events.note("mfa_enabled", user.id, method="totp")
        if not await self.store.confirm(user.id, step, to_datetime(now), hashes):
            self.context.events.discard()
            raise MfaInvalid("confirmed meanwhile")
        await self.context.events.flush()
        return codes

    async def disable(self, principal: Principal) -> None:
        """Remove the app and the recovery codes (a recent sign-in needed)."""
        self.require_recent(principal)
        user = await self.accounts.me(principal)
        self.context.events.note("mfa_disabled", user.id, method="totp")
        await self.store.remove(user.id)
        await self.context.events.flush()

    async def regenerate(self, principal: Principal) -> list[str]:
        """New recovery codes; the old ones are void.

        Raises:
            ReauthRequired: the sign-in is not recent.
            MfaMissing: no confirmed app.
        """
        self.require_recent(principal)
        user = await self.accounts.me(principal)
        if not await self.totp_enabled(user.id):
            raise MfaMissing()
        codes = new_recovery_codes()
        self.context.events.note("recovery_codes_renewed", user.id)
        await self.store.replace_codes(
            user.id, [token_digest(normalize_recovery_code(c)) for c in codes]
        )
        await self.context.events.flush()
        return codes

    async def reset(self, user: User, actor_id: str | None = None) -> bool:
        """Remove a user's second factors (``authgate user reset-mfa``; the admin API
        with ``actor_id``); False if there were none."""
        passkeys = await self.passkey_count(user.id)
        if not passkeys and await self.store.totp(user.id) is None:
            return False
        events = self.context.events
        events.note("mfa_disabled", user.id, actor_id=actor_id, method="all")
        if passkeys and self.passkeys is not None:
            await self.passkeys.delete_all(user.id)  # the event joins this write
        removed = await self.store.remove(user.id) or bool(passkeys)
        if removed:
            await events.flush()
        else:  # removed by someone else meanwhile
            events.discard()
        return removed

    # -- the sign-in step -----------------------------------------------------------

    async def challenge(self, user: User, methods: list[str]) -> MfaRequired:
        """Open a sign-in waiting for its second factor; the error that says so."""
        token = secrets.token_urlsafe(32)
        now = to_datetime(self.context.clock())
        await self.store.open_challenge(
            MfaChallenge(
                token_hash=token_digest(token),
                user_id=user.id,
                credential=user.password_hash,
                created_at=now,
                expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
            )
        )
        return MfaRequired(token, methods, CHALLENGE_SECONDS)

    async def live_challenge(self, mfa_token: str) -> MfaChallenge:
        """The sign-in waiting for its second factor that ``mfa_token`` names.

        Raises:
            MfaInvalid: unknown, used, expired or dead.
        """
        if not isinstance(mfa_token, str) or not 0 < len(mfa_token) <= _MAX_CODE_CHARS:
            raise MfaInvalid("malformed mfa token")
        challenge = await self.store.challenge(token_digest(mfa_token))
        if (
            challenge is None
            or challenge.used_at is not None
            or challenge.expires_at <= to_datetime(self.context.clock())
            or challenge.failures >= MAX_WRONG_CODES
        ):
            raise MfaInvalid("no such sign-in waiting")
        return challenge

    async def close(self, token_hash: str) -> str:
        """Use up a waiting sign-in finished another way (a passkey); the password
        hash it checked.

        Raises:
            MfaInvalid: it was used, or ended, meanwhile.
        """
        challenge = await self.store.challenge(token_hash)
        now = to_datetime(self.context.clock())
        if (
            challenge is None
            or challenge.expires_at <= now
            or challenge.failures >= MAX_WRONG_CODES
            or not await self.store.close_challenge(token_hash, now)
        ):
            raise MfaInvalid("used, expired or ended meanwhile")
        return challenge.credential

    async def complete(self, mfa_token: str, code: str) -> tuple[User, str, tuple[str, ...]]:
        """Check the second factor of a waiting sign-in: the user, the password hash
        the sign-in checked, and how it was proven (``amr``).

        Raises:
            MfaInvalid: unknown, used, expired or dead mfa token; a wrong or replayed code.
            TooManyAttempts: the account is locked out.
        """
        challenge = await self.live_challenge(mfa_token)
        token_hash = challenge.token_hash
        now = self.context.clock()
        user = await self.context.users.by_id(challenge.user_id)
        if user is None:
            raise MfaInvalid("no such user")
        throttle = self.context.throttle
        limits = throttle.login_limits(login_key(user.email), None)
        await throttle.reserve(limits)
        amr: tuple[str, ...] | None = None
        try:
            amr = await self._check(user.id, code[:_MAX_CODE_CHARS], now)
        finally:
            await throttle.settle(limits, failed=amr is None)
        if amr is None:
            self.context.events.note("mfa_failed", user.id, method="code")
            await self.store.fail_challenge(token_hash)
            await self.context.events.flush()
            raise MfaInvalid("wrong code")
        if not await self.store.close_challenge(token_hash, to_datetime(now)):
            raise MfaInvalid("used meanwhile")
        return user, challenge.credential, amr

    async def _check(self, user_id: str, code: str, now: float) -> tuple[str, ...] | None:
        factor = await self.store.totp(user_id)
        if factor is None or factor.confirmed_at is None:
            return None
        cleaned = code.strip().replace(" ", "")
        step = totp_step(factor.secret, cleaned, now)
        if step is not None:
            return ("pwd", "otp", "mfa") if await self.store.use_step(user_id, step) else None
        recovery = normalize_recovery_code(cleaned)
        if recovery and await self.store.use_code(
            user_id, token_digest(recovery), to_datetime(now)
        ):
            return ("pwd", "mfa")
        return None
