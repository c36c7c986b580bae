"""Which key signs and which are published at a given moment; the ring in force.

A key's life (see :mod:`authgate.core.keystore` for the files): from its creation
it is published (JWKS) and accepted; it signs from ``signs_from`` until its
successor's ``signs_from`` (its ``retired_at``); it stays published and accepted
for one access-token lifetime plus the leeway after that — the last token it
signed has expired by then — and then drops out by itself.

:class:`DirectoryKeys` keeps a process's ring in step with the directory: it looks
at the manifest's stat at most every :data:`CHECK_INTERVAL` seconds (sooner, but at
most every :data:`UNKNOWN_KID_INTERVAL`, when a token names a kid it lacks), re-reads
the directory only when the manifest changed, and recomputes the ring at each
instant a key starts signing or drops out. Time is an argument (``now``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from authgate.core.errors import ConfigurationError
from authgate.core.keys import KeyRing, SigningKey
from authgate.core.keystore import KeyDirectory, KeyRecord
from authgate.core.tokens import public_jwk

log = logging.getLogger("authgate.keys")

#: Seconds between two looks at the manifest's stat (and at most this late a
#: rotation made by another process is noticed).
CHECK_INTERVAL = 2.0
#: An unknown ``kid`` makes an early look, at most this often (forged kids cannot
#: make a process re-read its directory more than that).
UNKNOWN_KID_INTERVAL = 0.5


def signing_record(records: list[KeyRecord], now: float) -> KeyRecord | None:
    """The key that signs at ``now``: of those that have started, the latest (by
    start, then by manifest order); before any has started, the first to start."""
    if not records:
        return None
    ordered = list(enumerate(records))
    started = [(i, r) for i, r in ordered if r.signs_from <= now]
    if started:
        return max(started, key=lambda item: (item[1].signs_from, item[0]))[1]
    return min(ordered, key=lambda item: (item[1].signs_from, item[0]))[1]


def key_states(
    records: list[KeyRecord], *, now: float, window: int, algorithm: str
) -> list[tuple[KeyRecord, str, int | None]]:
    """Each key with its state at ``now`` and the moment that state is about.

    States: ``signing``; ``next`` (signs from the moment); ``retired`` (published
    until the moment); ``dropped`` (unpublished since the moment); ``unused`` (of
    another algorithm than ``algorithm``).
    """
    mine = [r for r in records if r.algorithm == algorithm]
    signing = signing_record([r for r in mine if r.is_published(now, window)], now)
    states: list[tuple[KeyRecord, str, int | None]] = []
    for record in records:
        drops = record.drops_at(window)
        if record.algorithm != algorithm:
            states.append((record, "unused", None))
        elif record is signing:
            states.append((record, "signing", None))
        elif record.signs_from > now:
            states.append((record, "next", record.signs_from))
        elif drops is not None and now >= drops:
            states.append((record, "dropped", drops))
        else:
            states.append((record, "retired", drops))
    return states


class DirectoryKeys:
    """The ring in force, kept in step with a key directory (a ``KeySource``)."""

    def __init__(self, directory: KeyDirectory, algorithm: str, window: int) -> None:
        self.directory = directory
        self.algorithm = algorithm
        self.window = window
        self._records: list[KeyRecord] = []
        self._keys: dict[str, tuple[SigningKey, SigningKey, dict[str, Any]]] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._ring: KeyRing | None = None
        self._valid = (math.inf, -math.inf)
        self._checked_at = -math.inf
        self._rechecked_at = -math.inf

    def load(self, now: float) -> KeyRing:
        """Read the directory; the ring in force at ``now``.

        Raises:
            ConfigurationError: no usable key for the algorithm, or a broken directory.
        """
        self._reread(now, strict=True)
        ring = self.ring(now)
        if ring.signing is None:
            raise ConfigurationError(
                f"AUTHGATE_KEYS_DIR: no {self.algorithm} key in {self.directory.path} "
                "(run `authgate keys generate`)"
            )
        return ring

    def ring(self, now: float, *, unknown_kid: bool = False) -> KeyRing:
        if abs(now - self._checked_at) >= CHECK_INTERVAL or (
            unknown_kid and abs(now - self._rechecked_at) >= UNKNOWN_KID_INTERVAL
        ):
            self._rechecked_at = self._checked_at = now
            if self.directory.stamp() != self._stamp:
                try:
                    self._reread(now, strict=False)
                except ConfigurationError as exc:  # keep the keys we have
                    log.error("%s; still using the keys read before", exc)
        if self._ring is None or not self._valid[0] <= now < self._valid[1]:
            self._ring = self._build(now)
        return self._ring

    def _reread(self, now: float, *, strict: bool) -> None:
        stamp = self.directory.stamp()
        records = [r for r in self.directory.records() if r.algorithm == self.algorithm]
        for record in records:
            if record.kid in self._keys or not record.is_published(now, self.window):
                continue
            try:
                private = self.directory.load_private(record)
            except ConfigurationError as exc:
                if strict:
                    raise
                log.error("%s; leaving that key out", exc)
                continue
            signing = SigningKey(record.algorithm, record.kid, private)
            verifying = SigningKey(record.algorithm, record.kid, private.public_key())
            self._keys[record.kid] = (signing, verifying, public_jwk(signing))
        self._records = [r for r in records if r.kid in self._keys]
        self._stamp = stamp
        self._valid = (math.inf, -math.inf)  # rebuild the ring at the next call

    def _build(self, now: float) -> KeyRing:
        """The ring at ``now``, and the span of time over which it stays the same."""
        published = [r for r in self._records if r.is_published(now, self.window)]
        signing = signing_record(published, now)
        if signing is None and self._ring is not None and self._ring.signing is not None:
            # The directory lost every key (deleted, unreadable): rather than stop
            # issuing tokens, keep the last ring and look again shortly.
            log.error(
                "no %s key left in %s; keeping the last one", self.algorithm, self.directory.path
            )
            self._valid = (now, now + CHECK_INTERVAL)
            return self._ring
        newest_first = published[::-1]
        ordered = sorted(newest_first, key=lambda r: r is not signing)  # stable: signing, newest
        moments = [r.signs_from for r in self._records] + [
            d for r in self._records if (d := r.drops_at(self.window)) is not None
        ]
        self._valid = (
            max((m for m in moments if m <= now), default=-math.inf),
            min((m for m in moments if m > now), default=math.inf),
        )
        return KeyRing(
            self._keys[signing.kid][0] if signing is not None else None,
            {r.kid: self._keys[r.kid][1] for r in published},
            tuple(self._keys[r.kid][2] for r in ordered),
            source=self,
        )
