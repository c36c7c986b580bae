"""LocalRevocations: the three kinds of entry, purging, syncing, staleness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from authgate.core import revocation
from authgate.core.errors import ServiceUnavailable
from authgate.core.models import Revocation
from authgate.core.revocation import LocalRevocations
from authgate.storage.memory import MemoryRevocationStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def revocations(clock: Clock) -> LocalRevocations:
    return LocalRevocations(MemoryRevocationStore(), clock=clock, monotonic=clock)


async def test_token_session_and_cutoff(revocations: LocalRevocations) -> None:
    """A jti, a sid and a user cutoff each revoke what they cover, nothing more."""
    await revocations.revoke(Revocation(kind="jti", subject="j1", expires_at=2000))
    await revocations.revoke(Revocation(kind="sid", subject="s1", expires_at=2000))
    await revocations.revoke(Revocation(kind="user", subject="u1", cutoff=1000, expires_at=2000))
    assert revocations.is_revoked("j1", "s9", "u9", 1500)
    assert revocations.is_revoked("j9", "s1", "u9", 1500)
    assert revocations.is_revoked("j9", "s9", "u1", 999)
    assert not revocations.is_revoked("j9", "s9", "u1", 1000)
    assert not revocations.is_revoked("j9", None, "u9", 1500)


async def test_a_later_cutoff_wins(revocations: LocalRevocations) -> None:
    """Cutoffs only move forward."""
    await revocations.revoke(Revocation(kind="user", subject="u", cutoff=2000, expires_at=5000))
    await revocations.revoke(Revocation(kind="user", subject="u", cutoff=1000, expires_at=5000))
    assert revocations.is_revoked("j", None, "u", 1500)


async def test_restart_reloads_from_the_store(clock: Clock) -> None:
    """A new list over the same store knows every active entry."""
    store = MemoryRevocationStore()
    await LocalRevocations(store, clock=clock, monotonic=clock).revoke(
        Revocation(kind="jti", subject="j1", expires_at=2000)
    )
    fresh = LocalRevocations(store, clock=clock, monotonic=clock)
    await fresh.start(1000)
    assert fresh.is_revoked("j1", None, "u", 1)


class PagedStore(MemoryRevocationStore):
    """Hands the start-up load out two entries a page, and records what the list held
    when each page was asked for."""

    def __init__(self, reader: list[LocalRevocations]) -> None:
        super().__init__()
        self.reader = reader
        self.held: list[int] = []

    async def pages(self, now: int) -> AsyncIterator[Sequence[Revocation]]:
        entries = list(await self.active(now))
        for start in range(0, len(entries), 2):
            self.held.append(self.reader[0].size())
            yield entries[start : start + 2]


async def test_the_load_applies_each_page_and_a_reload_forgets_nothing(clock: Clock) -> None:
    reader: list[LocalRevocations] = []
    store = PagedStore(reader)
    for n in range(5):
        await store.add(Revocation(kind="jti", subject=f"j{n}", expires_at=2000), recorded_at=999)
    mine = LocalRevocations(store, clock=clock, monotonic=clock)
    reader.append(mine)
    await mine.start(1000)
    assert store.held == [0, 2, 4]  # page by page, not one list of every entry
    assert all(mine.is_revoked(f"j{n}", None, "u", 1) for n in range(5))
    # A reload (Redis was lost) over a store that misses an entry this list applied
    # (a peer's news, published before it was read): the token stays refused.
    mine.apply(Revocation(kind="sid", subject="s-news", expires_at=2000))
    await mine.start(1001)
    assert mine.is_revoked("j9", "s-news", "u", 1)


async def test_sync_picks_up_other_writers(clock: Clock) -> None:
    """Entries another process recorded arrive with the next sync."""
    store = MemoryRevocationStore()
    mine = LocalRevocations(store, clock=clock, monotonic=clock)
    await mine.start(1000)
    await store.add(Revocation(kind="sid", subject="s1", expires_at=3000), recorded_at=1001)
    assert not mine.is_revoked("j", "s1", "u", 1)
    clock.now = 1002
    await mine.sync()
    assert mine.is_revoked("j", "s1", "u", 1)


async def test_a_late_entry_arrives_with_the_next_sweep(clock: Clock) -> None:
    """An entry recorded well before the previous poll (a transaction that committed
    late, a host whose clock is behind) is not read by every poll, but by the next
    sweep, which looks back SYNC_SLACK_SECONDS before the previous sweep."""
    store = MemoryRevocationStore()
    mine = LocalRevocations(store, clock=clock, monotonic=clock)
    await mine.start(1000)
    late = revocation.SYNC_SLACK_SECONDS - 1
    clock.now = 1010
    await store.add(Revocation(kind="sid", subject="s1", expires_at=3000), recorded_at=1000 - late)
    polls = 0
    while not mine.is_revoked("j", "s1", "u", 1):
        polls += 1
        assert polls <= revocation.SWEEP_EVERY
        await mine.sync()
        clock.now += 1
    assert polls > 1  # not every poll reads that far back
    assert mine._polls % revocation.SWEEP_EVERY == 0


async def test_purge_forgets_expired_entries(revocations: LocalRevocations) -> None:
    """Nothing grows without bound: expired entries go, here and in the store."""
    await revocations.revoke(Revocation(kind="jti", subject="old", expires_at=1500))
    await revocations.revoke(Revocation(kind="jti", subject="new", expires_at=5000))
    assert await revocations.purge(2000) == 1
    assert len(revocations) == 1
    assert len(await revocations.store.active(0)) == 1


async def test_a_stale_list_refuses_to_vouch(clock: Clock) -> None:
    """When the store has not been read for too long, the check says 503."""
    revocations = LocalRevocations(
        MemoryRevocationStore(), clock=clock, monotonic=clock, stale_after=10.0
    )
    assert not revocations.is_revoked("j", None, "u", 1)
    clock.now += 11
    with pytest.raises(ServiceUnavailable):
        revocations.is_revoked("j", None, "u", 1)
    await revocations.sync()
    assert not revocations.is_revoked("j", None, "u", 1)


async def test_an_entry_never_shrinks(revocations: LocalRevocations) -> None:
    """News applied twice, out of order or forged (a Redis channel) cannot shorten or
    lower an entry: revocation only ever grows."""
    revocations.apply(Revocation(kind="jti", subject="j", expires_at=5000))
    revocations.apply(Revocation(kind="jti", subject="j", expires_at=1001))
    revocations.apply(Revocation(kind="sid", subject="s", expires_at=5000))
    revocations.apply(Revocation(kind="sid", subject="s", expires_at=1001))
    revocations.apply(Revocation(kind="user", subject="u", cutoff=2000, expires_at=5000))
    revocations.apply(Revocation(kind="user", subject="u", cutoff=3000, expires_at=1001))
    revocations.forget_expired(2000)
    assert revocations.is_revoked("j", "s", "u9", 1)
    assert revocations.is_revoked("x", "s", "u9", 1)
    assert revocations.is_revoked("x", None, "u", 2500)


async def test_purge_yields_to_the_loop_between_slices(
    revocations: LocalRevocations, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A purge of many entries hands the event loop back every PURGE_SLICE entries, and
    forgets exactly the expired ones, even those revoked again while it waited."""
    import asyncio

    from authgate.core import revocation

    monkeypatch.setattr(revocation, "PURGE_SLICE", 10)
    for n in range(50):
        revocations.apply(Revocation(kind="jti", subject=f"j{n}", expires_at=1500 + n % 2 * 1000))
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            revocations.apply(Revocation(kind="jti", subject="j48", expires_at=9000))
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    removed = await revocations.purge(2000)
    counter.cancel()
    assert turns >= 5
    assert removed == 24
    assert revocations.is_revoked("j48", None, "u", 1)
    assert revocations.is_revoked("j1", None, "u", 1)
    assert not revocations.is_revoked("j2", None, "u", 1)
