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
)
from authgate.core.lifetimes import Lifetimes
from authgate.core.mfa import Mfa
from authgate.core.models import NewSession, Principal, Revocation, Session, TokenPair, User
from authgate.core.revoker import Revoker

log = logging.getLogger("authgate")

MAX_USER_AGENT = 512
#: Live sessions one user may hold; a login beyond it ends the oldest (40 parallel
#: logins made 118 sessions in 2 s, each a refresh token that lives for days). High
#: enough that no person's devices reach it, and that a login storm on one account
#: (a benchmark's) does not end a session in use elsewhere within seconds.
MAX_LIVE_SESSIONS = 100


def _clean_user_agent(user_agent: str) -> str:
    cleaned = user_agent.replace("\x00", "").encode("utf-8", "replace").decode()
    return cleaned[:MAX_USER_AGENT]


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
        await throttle.reserve(limits)
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
            raise InvalidCredentials("unknown email" if user is None else "wrong password")
        if user.is_disabled:
            raise AccountDisabled()
        if self.context.settings.require_verified_email and not user.email_verified:
            raise EmailUnverified()
        methods = await self.mfa.methods(user.id) if self.mfa is not None else []
        if methods and self.mfa is not None:
            raise await self.mfa.challenge(user, methods)
        return await self._open_session(user, new_hash, _clean_user_agent(user_agent))

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
            checked, None, _clean_user_agent(user_agent), amr, session_id, auth_time
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
        created = await self.context.sessions.create(
            NewSession(
                session=session,
                refresh_hash=refresh_tokens.hash_refresh_token(refresh),
                credential=user.password_hash,
                upgraded=new_hash,
            )
        )
        if not created:
            current = await self.context.users.by_id(user.id)
            if current is not None and current.is_disabled:
                raise AccountDisabled()
            raise InvalidCredentials("the password changed during the login")
        for session_id in await self.context.sessions.trim(
            user.id, MAX_LIVE_SESSIONS, to_datetime(now)
        ):
            await self.revoker.session_tokens(session_id, now)
        return self.lifetimes.pair(user, session, refresh, now)

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
        await self.context.revocations.revoke(
            Revocation(kind="jti", subject=principal.token_id, expires_at=principal.expires_at)
        )
        if principal.session_id is not None:
            await self.context.sessions.revoke(principal.session_id, to_datetime(now))
            await self.revoker.session_tokens(principal.session_id, now)

    async def logout_all(self, principal: Principal) -> None:
        """Revoke every session of the caller and every access token issued before now."""
        now = self.context.clock()
        await self.revoker.sessions_of(principal.id, now)
        await self.revoker.tokens_before(principal.id, int(now), now)

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
        await self.revoker.session(session_id, self.context.clock())
