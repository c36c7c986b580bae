"""How long a session lives, and the token pair that a login or a refresh hands out."""

from __future__ import annotations

import asyncio

from authgate.core import csrf
from authgate.core.context import ServiceContext
from authgate.core.errors import RefreshInvalid
from authgate.core.models import RefreshRecord, Session, TokenPair, User

#: The longest a login or refresh waits for its user's cutoff to pass (seconds).
_MAX_CUTOFF_WAIT = 1.0


class Lifetimes:
    """A session's idle lifetime (the refresh token's, renewed at each refresh) and its
    absolute one (``AUTHGATE_SESSION_MAX_AGE``, never renewed)."""

    def __init__(self, context: ServiceContext) -> None:
        self.idle = context.settings.refresh_ttl_seconds
        self.absolute = context.settings.session_max_age_seconds
        self.context = context

    def end(self, session: Session) -> float:
        """When a session ends however often it is refreshed."""
        return session.created_at.timestamp() + self.absolute

    def check_usable(self, record: RefreshRecord, now: float) -> None:
        """Raises RefreshInvalid unless the token's session may be refreshed at ``now``."""
        if record.session.revoked_at is not None:
            raise RefreshInvalid("session revoked")
        if record.expires_at.timestamp() <= now or record.session.expires_at.timestamp() <= now:
            raise RefreshInvalid("refresh token expired")
        if self.end(record.session) <= now:
            raise RefreshInvalid("session past its absolute lifetime")
        if record.user.is_disabled:
            raise RefreshInvalid("user disabled")

    async def pair(self, user: User, session: Session, refresh: str, now: float) -> TokenPair:
        """A new access token for ``session`` beside its refresh token ``refresh``."""
        user, now = await self._past_cutoff(user, now)
        token_id = csrf.access_token_id(refresh)
        access, _ = self.context.tokens.issue(
            user_id=user.id,
            email=user.email,
            session_id=session.id,
            now=now,
            token_id=token_id,
            email_verified=user.email_verified,
            # A session opened before sign-in times were kept: its creation.
            auth_time=session.auth_time or int(session.created_at.timestamp()),
            amr=session.amr,
            roles=user.roles,
        )
        refresh_left = min(self.idle, self.end(session) - now)
        return TokenPair(
            access_token=access,
            expires_in=self.context.tokens.ttl,
            refresh_token=refresh,
            refresh_expires_in=max(int(refresh_left), 1),
            session_id=session.id,
            csrf_token=csrf.csrf_token(token_id),
        )

    async def _past_cutoff(self, user: User, now: float) -> tuple[User, float]:
        """The user and the time to issue a token at, past the user's cutoff.

        ``iat`` counts whole seconds, and disabling the account or taking a role back
        refuses every token issued up to the end of the current second. A token
        issued later in that second, once the account is enabled again or by the
        refresh after the role went, would be refused at once: wait (under a second)
        for the next one, then read the user again for its current roles. A cutoff
        further ahead (from a host whose clock is ahead) is not waited for.
        """
        wait = self.context.revocations.cutoff(user.id) - now
        if wait <= 0 or wait > _MAX_CUTOFF_WAIT:
            return user, now
        await asyncio.sleep(wait)
        current = await self.context.users.by_id(user.id)
        return current or user, max(self.context.clock(), now + wait)
