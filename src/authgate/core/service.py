"""The AuthService: the one object the web layer and the CLI call.

It knows nothing of HTTP or databases. Each concern is a module of its own over the
same ports (:class:`~authgate.core.context.ServiceContext`): accounts
(:mod:`~authgate.core.accounts`), sessions (:mod:`~authgate.core.sessions`),
refreshing (:mod:`~authgate.core.refreshes`) and recovery and email
(:mod:`~authgate.core.recovery`), with the rate-limit policy in
:mod:`~authgate.core.ratelimit`; a new capability adds a module and a line here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from authgate.core.accounts import Accounts
from authgate.core.activity import Activity
from authgate.core.admin import Admin
from authgate.core.admin_ports import UserDirectory
from authgate.core.context import ServiceContext, to_datetime
from authgate.core.events import EventLog, EventStore
from authgate.core.factor_ports import MfaStore, PasskeyStore
from authgate.core.lifetimes import Lifetimes
from authgate.core.mfa import Mfa
from authgate.core.models import (
    Principal,
    Session,
    TokenPair,
    User,
)
from authgate.core.passkeys import Passkeys
from authgate.core.passwords import Passwords
from authgate.core.ports import (
    Clock,
    RateLimiter,
    RecoveryStore,
    RevocationList,
    SessionStore,
    UserStore,
)
from authgate.core.ratelimit import Throttle, address_subject
from authgate.core.recovery import Recovery
from authgate.core.refreshes import Refreshes
from authgate.core.revoker import Revoker
from authgate.core.service_admin import AdminFacade
from authgate.core.service_factors import FactorsFacade
from authgate.core.service_recovery import RecoveryFacade
from authgate.core.sessions import MAX_LIVE_SESSIONS, Sessions
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens

__all__ = ["MAX_LIVE_SESSIONS", "AuthService", "address_subject", "to_datetime"]

log = logging.getLogger("authgate")


class AuthService(RecoveryFacade, FactorsFacade, AdminFacade):
    """Register, log in, refresh, log out, revoke: the whole contract of API.md.

    Its attributes are the ports it was built with (``users``, ``sessions``,
    ``revocations``, ``passwords``, ``tokens``, ``clock``, ``settings``); its methods
    hand each request to the concern that owns it.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        users: UserStore,
        sessions: SessionStore,
        revocations: RevocationList,
        passwords: Passwords,
        tokens: AccessTokens,
        limiter: RateLimiter | None = None,
        recovery: RecoveryStore | None = None,
        mfa: MfaStore | None = None,
        passkeys: PasskeyStore | None = None,
        events: EventStore | None = None,
        directory: UserDirectory | None = None,
        clock: Clock,
    ) -> None:
        """Without a ``recovery`` store there are no mails: registration sends no
        verification link and the flows of API.md §3.1 are unavailable. Without an
        ``events`` store no security events are kept."""
        self.settings = settings
        self.users = users
        self.sessions = sessions
        self.revocations = revocations
        self.passwords = passwords
        self.tokens = tokens
        self.clock = clock
        self.events = EventLog(events, clock)
        context = ServiceContext(
            settings=settings,
            users=users,
            sessions=sessions,
            revocations=revocations,
            passwords=passwords,
            tokens=tokens,
            throttle=Throttle(settings, limiter),
            events=self.events,
            clock=clock,
        )
        revoker = Revoker(context)
        lifetimes = Lifetimes(context)
        self.accounts = Accounts(context, revoker)
        self.mfa = Mfa(context, self.accounts, mfa, passkeys) if mfa is not None else None
        self.logins = Sessions(context, lifetimes, revoker, self.mfa)
        self.passkeys = (
            Passkeys(context, self.accounts, self.mfa, passkeys)
            if self.mfa is not None and passkeys is not None
            else None
        )
        self.refreshes = Refreshes(context, lifetimes, revoker)
        self.recovery = (
            Recovery(context, self.accounts, revoker, recovery, self._mail_queued)
            if recovery is not None
            else None
        )
        self.activity = Activity(self.events)
        self.admin = Admin(context, self.accounts, self.logins, self.activity, self.mfa, directory)
        self._queued_listeners: list[Callable[[], None]] = []

    def on_mail_queued(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever a request queued a mail (the sender's wake-up)."""
        self._queued_listeners.append(listener)

    def _mail_queued(self) -> None:
        for listener in self._queued_listeners:
            listener()

    # -- accounts (authgate.core.accounts) ---------------------------------------

    async def register(
        self, email: str, password: str, *, address: str | None = None, language: str = "en"
    ) -> User:
        """See :meth:`Accounts.register`; then the verification link is sent."""
        user = await self.accounts.register(email, password, address=address)
        if self.recovery is not None:
            await self.recovery.registered(user, language)
        return user

    async def me(self, principal: Principal) -> User:
        """See :meth:`Accounts.me`."""
        return await self.accounts.me(principal)

    async def disable(self, email: str) -> User:
        """See :meth:`Accounts.disable` (``authgate user disable``; NotFound if no
        account has ``email``)."""
        return await self.accounts.disable(await self.accounts.by_email(email))

    async def set_role(self, email: str, role: str, *, granted: bool) -> User:
        """See :meth:`Accounts.set_role` (``authgate user role``)."""
        user = await self.accounts.by_email(email)
        return await self.accounts.set_role(user, role, granted=granted)

    async def change_password(
        self, principal: Principal, current_password: str, new_password: str
    ) -> None:
        """See :meth:`Accounts.change_password`."""
        await self.accounts.change_password(principal, current_password, new_password)

    # -- sessions (authgate.core.sessions, authgate.core.refreshes) ---------------

    async def login(
        self, email: str, password: str, *, user_agent: str = "", address: str | None = None
    ) -> TokenPair:
        """See :meth:`Sessions.login`."""
        return await self.logins.login(email, password, user_agent=user_agent, address=address)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """See :meth:`Refreshes.refresh`."""
        return await self.refreshes.refresh(refresh_token)

    def authenticate(self, token: str) -> Principal:
        """See :meth:`Sessions.authenticate` (no I/O: on every protected request)."""
        return self.logins.authenticate(token)

    async def logout(self, principal: Principal) -> None:
        """See :meth:`Sessions.logout`."""
        await self.logins.logout(principal)

    async def logout_all(self, principal: Principal) -> None:
        """See :meth:`Sessions.logout_all`."""
        await self.logins.logout_all(principal)

    async def list_sessions(self, principal: Principal) -> Sequence[Session]:
        """See :meth:`Sessions.list_sessions`."""
        return await self.logins.list_sessions(principal)

    async def revoke_session(self, principal: Principal, session_id: str) -> None:
        """See :meth:`Sessions.revoke_session`."""
        await self.logins.revoke_session(principal, session_id)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public keys in force now (RFC 7517 §5; empty under HS256)."""
        return self.tokens.jwks(self.clock())

    # -- housekeeping -----------------------------------------------------------------

    async def purge(self) -> None:
        """Forget expired sessions, refresh tokens, revocations and link tokens."""
        now = self.clock()
        await self.sessions.purge(to_datetime(now))
        await self.revocations.purge(int(now))
        if self.recovery is not None:
            await self.recovery.store.purge(to_datetime(now))
        if self.mfa is not None:
            await self.mfa.store.purge(to_datetime(now))
        if self.passkeys is not None:
            await self.passkeys.store.purge(to_datetime(now))
        await self.prune_events(now, self.settings.events_retention)

    async def run_housekeeping(self, interval: float = 300.0) -> None:
        """Purge now and then, forever (run it as a background task)."""
        while True:
            try:
                await self.purge()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed purge is retried; requests never wait on it
                log.exception("housekeeping failed; will retry")
            await asyncio.sleep(interval)
