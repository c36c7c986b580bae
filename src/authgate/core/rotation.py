"""Which key signs and which are published at a given moment: pure functions of the
key records and ``now``.

A key's life: from its creation it is published (JWKS) and accepted; it signs from
``signs_from`` until its successor's ``signs_from`` (its ``retired_at``); it stays
published and accepted for one access-token lifetime plus the leeway after that
(``window``) — the last token it signed has expired by then — and then drops out by
itself. :func:`ring_at` builds the :class:`~authgate.core.keys.KeyRing` in force and
the span of time over which it stays the same. The files and the polling are
:mod:`authgate.storage.keyfiles` and :mod:`authgate.storage.keysource`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from authgate.core.jose import SigningKey, public_jwk
from authgate.core.keys import KeyRecord, KeyRing, KeySource


@dataclass(frozen=True, slots=True)
class LoadedKey:
    """A record's key pair, in the forms a ring holds."""

    signing: SigningKey
    verifying: SigningKey
    jwk: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, record: KeyRecord, private: Any) -> LoadedKey:
        signing = SigningKey(record.algorithm, record.kid, private)
        verifying = SigningKey(record.algorithm, record.kid, private.public_key())
        return cls(signing, verifying, public_jwk(signing))


def signing_record(records: Sequence[KeyRecord], now: float) -> KeyRecord | None:
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
    records: Sequence[KeyRecord], *, now: float, window: int, algorithm: str
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


def stable_span(records: Sequence[KeyRecord], now: float, window: int) -> tuple[float, float]:
    """The span around ``now`` in which no key starts signing or drops out."""
    moments = [r.signs_from for r in records] + [
        d for r in records if (d := r.drops_at(window)) is not None
    ]
    return (
        max((m for m in moments if m <= now), default=-math.inf),
        min((m for m in moments if m > now), default=math.inf),
    )


def ring_at(
    records: Sequence[KeyRecord],
    keys: Mapping[str, LoadedKey],
    now: float,
    window: int,
    *,
    source: KeySource | None = None,
) -> KeyRing:
    """The ring in force at ``now`` of the records whose keys are in ``keys``: the
    signing key (none if no key is published), the published keys for verification,
    and the JWKS (the signing key first, then the newest first)."""
    published = [r for r in records if r.is_published(now, window)]
    signing = signing_record(published, now)
    newest_first = published[::-1]
    ordered = sorted(newest_first, key=lambda r: r is not signing)  # stable: signing, newest
    return KeyRing(
        keys[signing.kid].signing if signing is not None else None,
        {r.kid: keys[r.kid].verifying for r in published},
        tuple(keys[r.kid].jwk for r in ordered),
        source=source,
    )
