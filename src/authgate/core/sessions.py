"""Sessions: logging in, authenticating a request, logging out, listing and ending
sessions (API.md §3). Refreshing is :mod:`authgate.core.refreshes`."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence

from authgate.core import refresh as refresh_tokens
from authgate.core.context import ServiceContext, to_datetime
from authgate.core.emails import is_storable, login_key
from authgate.core.errors import (
    AccountDisabled,
    EmailUnverified,
    InvalidCredentials,
    MfaInvalid,
    NotFound,
    TokenRevoked,
    TooManyAttempts,
)
from authgate.core.events import clean_user_agent
from authgate.core.lifetimes import Lifetimes
from authgate.core.mfa import Mfa
from authgate.core.models import NewSession, Principal, Revocation, Session, TokenPair, User
from authgate.core.ratelimit import LockoutMemo
from authgate.core.revoker import Revoker

log = logging.getLogger("authgate")

#: Live sessions one user may hold; a login beyond it ends the oldest (40 parallel
#: logins made 118 sessions in 2 s, each a refresh token that lives for days). High
#: enough that no person's devices reach it, and that a login storm on one account
#: (a benchmark's) does not end a session in use elsewhere within seconds.
MAX_LIVE_SESSIONS = 100


class Sessions:
    """Log in, authenticate, log out, list and end sessions."""

    def __init__(
        self,
        context: ServiceContext,
        lifetimes: Lifetimes,
        revoker: Revoker,
        mfa: Mfa | None = None,
    ) -> None:
        self.context = context
        self.lifetimes = lifetimes
        self.revoker = revoker
        self.mfa = mfa
        self.lockouts = LockoutMemo()

    async def login(
        self, email: str, password: str, *, user_agent: str = "", address: str | None = None
    ) -> TokenPair:
        """Check the credentials and open a session.

        Raises:
            TooManyAttempts: the account or the address is locked out.
            InvalidCredentials: unknown email or wrong password (indistinguishable,
                also in time), or the password changed while this login was checked.
            AccountDisabled: right password, disabled account (also when it was
                disabled while this login was checked).
            EmailUnverified: right password, unverified address, and
                AUTHGATE_REQUIRE_VERIFIED_EMAIL is on.
            MfaRequired: right password; the account has a second factor (the error
                carries the mfa token that :meth:`login_mfa` takes).
        """
        key = login_key(email)
        throttle = self.context.throttle
        limits = throttle.login_limits(key, address)
        try:
            await throttle.reserve(limits)
        except TooManyAttempts as exc:
            await self._locked_out(key, address, exc)
            raise
        valid: bool | None = None
        try:
            user = await self.context.users.by_email(key) if is_storable(key) else None
            async with throttle.hash_turn(key):
                valid, new_hash = await self.context.passwords.check_login(
                    password, None if user is None else user.password_hash
                )
        finally:  # an error (not a wrong password) releases the claim uncounted
            await throttle.settle(limits, failed=valid is False)
        if user is None or not valid:
            await self._failed(user, "unknown_account" if user is None else "wrong_password")
            raise InvalidCredentials("unknown email" if user is None else "wrong password")
        if user.is_disabled:
            await self._failed(user, "account_disabled")
            raise AccountDisabled()
        if self.context.settings.require_verified_email and not user.email_verified:
            await self._failed(user, "email_unverified")
            raise EmailUnverified()
        methods = await self.mfa.methods(user.id) if self.mfa is not None else []
        if methods and self.mfa is not None:
            raise await self.mfa.challenge(user, methods)
        return await self._open_session(user, new_hash, clean_user_agent(user_agent))

    async def _failed(self, user: User | None, reason: str) -> None:
        """Keep a failed sign-in (by account when there is one; never what was typed)."""
        events = self.context.events
        events.note("login_failed", None if user is None else user.id, reason=reason)
        await events.flush()

    async def _locked_out(self, key: str, address: str | None, refused: TooManyAttempts) -> None:
        """Keep the start of a lockout (one event per account or address and lockout,
        per instance: not one per refused attempt, which an attacker could repeat at
        will)."""
        scope = str(refused).removeprefix("login:")
        subject = key if scope == "account" else (address or "")
        now = self.context.clock()
        if not self.lockouts.first(f"{scope}:{subject}", now, refused.retry_after):
            return
        user = await self.context.users.by_email(key) if scope == "account" else None
        if scope == "account" and user is None:
            return
        self.context.events.note("locked_out", user.id if user else None, scope=scope)
        await self.context.events.flush()

    async def login_mfa(self, mfa_token: str, code: str, *, user_agent: str = "") -> TokenPair:
        """Finish a sign-in that waits for its second factor (see :meth:`Mfa.complete`).

        Raises:
            MfaInvalid, TooManyAttempts; InvalidCredentials or AccountDisabled if the
            password changed or the account was disabled since the password step.
        """
        if self.mfa is None:
            raise MfaInvalid("no second factors here")
        user, credential, amr = await self.mfa.complete(mfa_token, code)
        return await self.open_verified(user, credential, user_agent, amr)

    async def open_verified(
        self,
        user: User,
        credential: str,
        user_agent: str,
        amr: tuple[str, ...],
        *,
        session_id: str | None = None,
        auth_time: int | None = None,
    ) -> TokenPair:
        """Open a session for a sign-in proven another way (a second step, a passkey,
        an OpenID Connect code: which names its ``session_id`` and the ``auth_time``
        of the sign-in behind it), against ``credential``, the password hash as the
        sign-in saw it."""
        checked = dataclasses.replace(user, password_hash=credential)
        return await self._open_session(
            checked, None, clean_user_agent(user_agent), amr, session_id, auth_time
        )

    async def _open_session(
        self,
        user: User,
        new_hash: str | None,
        user_agent: str,
        amr: tuple[str, ...] = ("pwd",),
        session_id: str | None = None,
        auth_time: int | None = None,
    ) -> TokenPair:
        """Store a new session, if the credentials that were just checked are still the
        account's: the store checks the password hash and the disabled mark in the
        transaction that inserts the session, so a password change or a disable that
        commits first makes this login fail, and one that commits later sees (and
        revokes) this session. Without it, logins in flight during a password change
        kept sessions that refreshing extended for ever."""
        now = self.context.clock()
        refresh = refresh_tokens.new_refresh_token()
        session = Session(
            id=session_id or str(uuid.uuid4()),
            user_id=user.id,
            created_at=to_datetime(now),
            last_used_at=to_datetime(now),
            expires_at=to_datetime(now + min(self.lifetimes.idle, self.lifetimes.absolute)),
            user_agent=user_agent,
            auth_time=int(now) if auth_time is None else auth_time,
            amr=amr,
        )
        events = self.context.events
        events.note("login", user.id, session_id=session.id, amr=" ".join(amr))
        created = await self.context.sessions.create(
            NewSession(
                session=session,
                refresh_hash=refresh_tokens.hash_refresh_token(refresh),
                credential=user.password_hash,
                upgraded=new_hash,
            )
        )
        if not created:
            events.discard()  # no session, no login
            current = await self.context.users.by_id(user.id)
            if current is not None and current.is_disabled:
                await self._failed(user, "account_disabled")
                raise AccountDisabled()
            await self._failed(user, "credentials_changed")
            raise InvalidCredentials("the password changed during the login")
        for session_id in await self.context.sessions.trim(
            user.id, MAX_LIVE_SESSIONS, to_datetime(now)
        ):
            await self.revoker.session_tokens(session_id, now)
        await events.flush()
        return await self.lifetimes.pair(user, session, refresh, now)

    def authenticate(self, token: str) -> Principal:
        """Verify an access token and check it is not revoked (no I/O).

        Raises:
            TokenExpired, TokenInvalid, TokenRevoked; ServiceUnavailable if the
            revocation state cannot be trusted.
        """
        principal = self.context.tokens.verify(token, self.context.clock())
        if self.context.revocations.is_revoked(
            principal.token_id, principal.session_id, principal.id, principal.issued_at
        ):
            raise TokenRevoked()
        return principal

    async def logout(self, principal: Principal) -> None:
        """Revoke the caller's session and the presented access token."""
        now = self.context.clock()
        self.context.events.note("logout", principal.id, session_id=principal.session_id or "")
        await self.context.revocations.revoke(
            Revocation(kind="jti", subject=principal.token_id, expires_at=principal.expires_at)
        )
        if principal.session_id is not None:
            await self.context.sessions.revoke(principal.session_id, to_datetime(now))
            await self.revoker.session_tokens(principal.session_id, now)
        await self.context.events.flush()

    async def logout_all(self, principal: Principal) -> None:
        """Revoke every session of the caller and every access token issued before now."""
        await self.end_all(principal.id, "logout_all")

    async def end_all(self, user_id: str, event: str, actor_id: str | None = None) -> None:
        """End every session of a user and refuse every access token issued before now;
        kept as ``event`` (by ``actor_id``, an admin)."""
        now = self.context.clock()
        self.context.events.note(event, user_id, actor_id=actor_id)
        await self.revoker.sessions_of(user_id, now)
        await self.revoker.tokens_before(user_id, int(now), now)
        await self.context.events.flush()

    async def list_sessions(self, principal: Principal) -> Sequence[Session]:
        """The caller's active sessions, newest first."""
        return await self.context.sessions.list_active(
            principal.id, to_datetime(self.context.clock())
        )

    async def revoke_session(self, principal: Principal, session_id: str) -> None:
        """Revoke one of the caller's sessions.

        Raises:
            NotFound: no such active session of the caller's.
        """
        session = await self.context.sessions.get(session_id)
        if session is None or session.user_id != principal.id or session.revoked_at is not None:
            raise NotFound("no such session")
        self.context.events.note("session_revoked", principal.id, session_id=session_id)
        await self.revoker.session(session_id, self.context.clock())
        await self.context.events.flush()
