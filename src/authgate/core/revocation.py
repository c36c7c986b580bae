"""Access-token revocation: a denylist held in memory, recorded in a store.

Three kinds of entry (see :class:`~authgate.core.models.Revocation`): one token by
``jti`` (logout), one session by ``sid`` (logout, a revoked session, refresh-token
reuse), and a per-user cutoff ``tokens issued before T`` (logout-all, disabling).
An entry lives until no token it covers can still be valid, then is purged.

The request path calls :meth:`LocalRevocations.is_revoked`: three dictionary
lookups, no I/O. Every revocation is written to the store first, then applied
here. :meth:`start` loads the active entries (a restart forgets nothing), and
:meth:`run_sync` polls the store for entries written by other processes (the CLI,
other instances); if polling keeps failing, the list stops vouching for tokens
(``ServiceUnavailable``) rather than accept one it may have missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from authgate.core.errors import ServiceUnavailable
from authgate.core.models import Revocation
from authgate.core.ports import Clock, RevocationStore

log = logging.getLogger("authgate.revocation")

#: Every poll reads the entries recorded since a little before the previous one (an
#: entry recorded in the same second as that poll, after it ran)...
FRESH_SLACK_SECONDS = 2
#: ...and every ``SWEEP_EVERY``-th poll (a sweep) reads again those recorded up to
#: this long before the previous sweep: transactions that commit late and clocks that
#: differ a little between hosts (an entry that became visible within this long of
#: its recorded time is read by the first sweep after). Reading 30 s back on every
#: poll re-read each entry 30 times: at 100k live entries (~110 new ones a second)
#: 3,300 rows a second.
SYNC_SLACK_SECONDS = 30
SWEEP_EVERY = 10
#: Entries a purge examines between two turns of the event loop: with 100k live
#: entries a purge in one go held the loop for 15-70 ms (docs/performance.md, Growth).
PURGE_SLICE = 5_000


class LocalRevocations:
    """The in-process revocation list, kept in step with the store."""

    def __init__(
        self,
        store: RevocationStore,
        *,
        clock: Clock,
        monotonic: Clock,
        stale_after: float | None = None,
    ) -> None:
        """``clock`` dates entries; ``monotonic`` measures how long ago the store was
        last read, and after ``stale_after`` seconds without a successful read
        :meth:`is_revoked` refuses to vouch (None: never; :meth:`run_sync` sets it)."""
        self.store = store
        self.clock = clock
        self.monotonic = monotonic
        self.stale_after = stale_after
        self._tokens: dict[str, int] = {}
        self._sessions: dict[str, int] = {}
        self._cutoffs: dict[str, tuple[int, int]] = {}
        #: One int object per distinct expiry second, shared by the entries: most
        #: entries of a second expire together (~3 MB less per 100k entries).
        self._stamps: dict[int, int] = {}
        self._polled_from: int | None = None
        self._swept_from: int | None = None
        self._polls = 0
        self._synced_at = monotonic()

    def size(self) -> int:
        """Entries held: revoked tokens, sessions and users' cutoffs."""
        return len(self._tokens) + len(self._sessions) + len(self._cutoffs)

    def is_revoked(self, jti: str, session_id: str | None, user_id: str, issued_at: int) -> bool:
        if self.stale_after is not None and self.monotonic() - self._synced_at > self.stale_after:
            raise ServiceUnavailable("revocation list is stale: the store is unreachable")
        if jti in self._tokens or (session_id is not None and session_id in self._sessions):
            return True
        cutoff = self._cutoffs.get(user_id)
        return cutoff is not None and issued_at < cutoff[0]

    def cutoff(self, user_id: str) -> int:
        """The user's tokens issued before this epoch second are refused (0: none)."""
        cutoff = self._cutoffs.get(user_id)
        return 0 if cutoff is None else cutoff[0]

    def check(self) -> None:
        """Raises ServiceUnavailable if the list cannot vouch for tokens now."""
        self.is_revoked("", None, "", 0)

    async def revoke(self, revocation: Revocation) -> None:
        await self.store.add(revocation, int(self.clock()))
        self.apply(revocation)

    def apply(self, revocation: Revocation) -> None:
        """Take an entry into memory (from this process, the store or a peer)."""
        # An entry only ever grows (later cutoff, later expiry): applying the same
        # news twice, out of order, or a bogus message, can never un-revoke a token.
        subject = revocation.subject
        expires_at = self._stamps.setdefault(revocation.expires_at, revocation.expires_at)
        if revocation.kind == "jti":
            self._tokens[subject] = max(expires_at, self._tokens.get(subject, 0))
        elif revocation.kind == "sid":
            self._sessions[subject] = max(expires_at, self._sessions.get(subject, 0))
        else:
            cutoff, until = self._cutoffs.get(subject, (0, 0))
            self._cutoffs[subject] = (max(cutoff, revocation.cutoff), max(until, expires_at))

    async def start(self, now: int) -> None:
        """Load every active entry from the store, applying each page as it comes (a
        list of 100k entries held at once left RSS ~13 MB higher for good).

        Entries already in memory stay: applying only ever grows what is revoked, so a
        reload (after Redis was lost) never accepts, even for a moment, a token it
        refused; entries that have expired go with the next purge."""
        async for page in self.store.pages(now):
            for revocation in page:
                self.apply(revocation)
        self._polled_from = self._swept_from = now
        self._synced_at = self.monotonic()

    async def sync(self) -> None:
        """Apply the entries recorded since the last poll (by any process)."""
        now = int(self.clock())
        self._polls += 1
        sweep = self._polls % SWEEP_EVERY == 0
        since: int | None = None
        if sweep and self._swept_from is not None:
            since = self._swept_from - SYNC_SLACK_SECONDS
        elif not sweep and self._polled_from is not None:
            since = self._polled_from - FRESH_SLACK_SECONDS
        for revocation in await self.store.active(now, recorded_since=since):
            self.apply(revocation)
        if sweep:
            self._swept_from = now
        self._polled_from = now
        self._synced_at = self.monotonic()

    async def run_sync(self, interval: float = 1.0, stale_after: float = 10.0) -> None:
        """Poll the store forever; after ``stale_after`` seconds without a successful
        poll, :meth:`is_revoked` answers ``ServiceUnavailable`` until one succeeds."""
        self.stale_after = stale_after
        failing = False
        while True:
            try:
                await self.sync()
                if failing:
                    log.warning("revocation store reachable again")
                failing = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not failing:
                    log.error("cannot read revocations from the store: %s", exc)
                failing = True
            await asyncio.sleep(interval)

    async def stop(self) -> None:
        return None

    async def purge(self, now: int) -> int:
        """Forget entries that can no longer matter, here and in the store, a slice
        of :data:`PURGE_SLICE` entries per turn of the event loop."""
        removed = 0
        for table, expiry in self._tables():
            keys = list(table)
            for start in range(0, len(keys), PURGE_SLICE):
                removed += _drop_expired(table, keys[start : start + PURGE_SLICE], expiry, now)
                await asyncio.sleep(0)
        self._forget_stamps(now)
        await self.store.purge(now)
        return removed

    def forget_expired(self, now: int) -> int:
        """Forget the entries that can no longer matter, in one go."""
        removed = sum(_drop_expired(t, list(t), expiry, now) for t, expiry in self._tables())
        self._forget_stamps(now)
        return removed

    def _tables(self) -> list[tuple[dict[str, Any], Callable[[Any], int]]]:
        return [
            (self._tokens, _itself),
            (self._sessions, _itself),
            (self._cutoffs, _second),
        ]

    def _forget_stamps(self, now: int) -> None:
        self._stamps = {stamp: stamp for stamp in self._stamps if stamp > now}

    def __len__(self) -> int:
        return len(self._tokens) + len(self._sessions) + len(self._cutoffs)


def _itself(expires_at: int) -> int:
    return expires_at


def _second(entry: tuple[int, int]) -> int:
    return entry[1]


def _drop_expired(
    table: dict[str, Any], keys: Iterable[str], expiry: Callable[[Any], int], now: int
) -> int:
    """Delete the entries of ``keys`` expired at ``now`` (keys already gone are skipped:
    the list may be older than the table)."""
    removed = 0
    for key in keys:
        entry = table.get(key)
        if entry is not None and expiry(entry) <= now:
            del table[key]
            removed += 1
    return removed
