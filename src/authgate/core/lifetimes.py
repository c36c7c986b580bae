"""How long a session lives, and the token pair that a login or a refresh hands out."""

from __future__ import annotations

from authgate.core import csrf
from authgate.core.errors import RefreshInvalid
from authgate.core.models import RefreshRecord, Session, TokenPair, User
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens


class Lifetimes:
    """A session's idle lifetime (the refresh token's, renewed at each refresh) and its
    absolute one (``AUTHGATE_SESSION_MAX_AGE``, never renewed)."""

    def __init__(self, settings: Settings, tokens: AccessTokens) -> None:
        self.idle = settings.refresh_ttl_seconds
        self.absolute = settings.session_max_age_seconds
        self.tokens = tokens

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

    def pair(self, user: User, session: Session, refresh: str, now: float) -> TokenPair:
        """A new access token for ``session`` beside its refresh token ``refresh``."""
        token_id = csrf.access_token_id(refresh)
        access, _ = self.tokens.issue(
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
            expires_in=self.tokens.ttl,
            refresh_token=refresh,
            refresh_expires_in=max(int(refresh_left), 1),
            session_id=session.id,
            csrf_token=csrf.csrf_token(token_id),
        )
