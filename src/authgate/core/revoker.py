"""Ending sessions and the access tokens issued from them, for every concern."""

from __future__ import annotations

from authgate.core.context import ServiceContext, to_datetime
from authgate.core.models import Revocation


class Revoker:
    """Revokes sessions in the store and their tokens in the revocation list."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def access_horizon(self, now: float) -> int:
        """No access token issued up to ``now`` is valid after this instant on any
        instance whose clock lags by up to the leeway (with a second to spare for
        clocks read in whole seconds)."""
        return int(now) + self.context.tokens.ttl + self.context.settings.leeway + 1

    async def session(self, session_id: str, now: float) -> None:
        """End one session and its tokens."""
        await self.context.sessions.revoke(session_id, to_datetime(now))
        await self.session_tokens(session_id, now)

    async def session_tokens(self, session_id: str, now: float) -> None:
        """Refuse every access token of a session (already ended in the store)."""
        await self.context.revocations.revoke(
            Revocation(kind="sid", subject=session_id, expires_at=self.access_horizon(now))
        )

    async def sessions_of(self, user_id: str, now: float, keep: str | None = None) -> None:
        """End every session of a user but ``keep``, and their tokens."""
        ended = await self.context.sessions.revoke_all(user_id, to_datetime(now), keep=keep)
        for session_id in ended:
            await self.session_tokens(session_id, now)

    async def tokens_before(self, user_id: str, cutoff: int, now: float) -> None:
        """Refuse every access token of a user issued before ``cutoff``."""
        await self.context.revocations.revoke(
            Revocation(
                kind="user",
                subject=user_id,
                cutoff=cutoff,
                expires_at=self.access_horizon(now) + (cutoff - int(now)),
            )
        )
