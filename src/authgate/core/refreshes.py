"""Refreshing: rotate the refresh token, detect reuse, the grace period for tabs
that refresh at once (RFC 9700 §4.14)."""

from __future__ import annotations

import logging

from authgate.core import refresh as refresh_tokens
from authgate.core.context import ServiceContext, to_datetime
from authgate.core.errors import RefreshInvalid, RefreshReused
from authgate.core.lifetimes import Lifetimes
from authgate.core.models import RefreshRecord, Rotation, TokenPair
from authgate.core.revoker import Revoker

log = logging.getLogger("authgate")

#: Rotations followed from a token presented within the grace period (a client
#: cannot rotate more often than it makes requests; this only bounds the loop).
_MAX_SUCCESSORS = 32


class Refreshes:
    """``POST /auth/refresh``: a new pair for a live refresh token, reuse revoked."""

    def __init__(self, context: ServiceContext, lifetimes: Lifetimes, revoker: Revoker) -> None:
        self.context = context
        self.lifetimes = lifetimes
        self.revoker = revoker

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate a refresh token: a new pair, the presented token retired.

        Raises:
            RefreshInvalid: unknown, expired or revoked.
            RefreshReused: a retired token came back; its session is now revoked.
        """
        if not refresh_tokens.is_plausible(refresh_token):
            raise RefreshInvalid("malformed")
        token_hash = refresh_tokens.hash_refresh_token(refresh_token)
        record = await self.context.sessions.find_refresh(token_hash)
        if record is None:
            raise RefreshInvalid("unknown refresh token")
        now = self.context.clock()
        if record.rotated_at is None:
            self.lifetimes.check_usable(record, now)
            successor = refresh_tokens.new_refresh_token()
            renewed_until = min(now + self.lifetimes.idle, self.lifetimes.end(record.session))
            rotation = Rotation(
                session_id=record.session.id,
                old_hash=token_hash,
                new_hash=refresh_tokens.hash_refresh_token(successor),
                successor_box=refresh_tokens.seal_successor(refresh_token, successor),
                now=to_datetime(now),
                expires_at=to_datetime(renewed_until),
            )
            rotated = await self.context.sessions.rotate(rotation)
            if rotated:
                return await self.lifetimes.pair(record.user, record.session, successor, now)
            record = await self.context.sessions.find_refresh(token_hash)  # lost a race
            if record is None:
                raise RefreshInvalid("unknown refresh token")
        return await self._replayed(refresh_token, record, now)

    async def _replayed(self, refresh_token: str, record: RefreshRecord, now: float) -> TokenPair:
        """A retired token came back: within the grace period, hand over its successor;
        otherwise it is reuse (RFC 9700 §4.14.2) and the whole session goes."""
        grace = self.context.settings.refresh_grace
        rotated_at = record.rotated_at.timestamp() if record.rotated_at else now
        if grace and record.successor_box and now - rotated_at <= grace:
            self.lifetimes.check_usable(record, now)
            successor = refresh_tokens.open_successor(refresh_token, record.successor_box)
            if successor is not None:
                current = await self._current_successor(successor)
                return await self.lifetimes.pair(record.user, record.session, current, now)
        if record.session.revoked_at is None:
            log.warning("refresh token reuse: revoking session %s", record.session.id)
            self.context.events.note(
                "refresh_reused", record.session.user_id, session_id=record.session.id
            )
            await self.revoker.session(record.session.id, now)
            await self.context.events.flush()
        raise RefreshReused()

    async def _current_successor(self, token: str) -> str:
        """Follow rotations from ``token`` to the token in force: a token presented
        again within the grace period gets the current successor, not one that has
        been rotated since (which would itself be reuse once the grace ends)."""
        for _ in range(_MAX_SUCCESSORS):
            record = await self.context.sessions.find_refresh(
                refresh_tokens.hash_refresh_token(token)
            )
            if record is None or record.rotated_at is None or not record.successor_box:
                return token
            successor = refresh_tokens.open_successor(token, record.successor_box)
            if successor is None:
                return token
            token = successor
        return token
