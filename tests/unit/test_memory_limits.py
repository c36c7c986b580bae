"""The in-process rate limiter: moving windows, claims in flight, bounded memory, and
the same decisions as the ``limits`` library's own implementation."""

from __future__ import annotations

import random

from limits.aio.storage import MemoryStorage

from authgate.storage.memory_limits import SWEEP_SECONDS, MemoryRateLimiter
from authgate.storage.ratelimit import LimitsRateLimiter
from tests.conftest import FakeClock


async def test_a_window_fills_then_frees_one_slot_per_expired_hit(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(clock)
    for _ in range(3):
        assert await limiter.hit("3 per minute", "k") == 0
        clock.advance(10)
    # Full: the 4th is refused until the first hit (30 s ago) leaves the window.
    assert await limiter.hit("3 per minute", "k") == 30
    assert await limiter.retry_after("3 per minute", "k") == 30
    clock.advance(29.5)
    assert await limiter.retry_after("3 per minute", "k") == 1
    clock.advance(0.5)
    assert await limiter.retry_after("3 per minute", "k") == 0
    assert await limiter.hit("3 per minute", "k") == 0
    assert await limiter.hit("3 per minute", "k") == 10  # the second hit leaves next


async def test_a_refused_hit_is_not_counted(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(clock)
    await limiter.hit("1 per minute", "k")
    for _ in range(5):
        assert await limiter.hit("1 per minute", "k") == 60
    clock.advance(60)
    assert await limiter.hit("1 per minute", "k") == 0


async def test_keys_and_limits_are_counted_apart(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(clock)
    await limiter.hit("1 per minute", "a")
    assert await limiter.retry_after("1 per minute", "b") == 0
    assert await limiter.retry_after("1 per minute", "a") == 60
    # Every item of a compound limit is a window of its own; a hit that one item
    # refuses still counts under the others (as ``limits`` counts it).
    for _ in range(2):
        assert await limiter.hit("2 per second; 4 per hour", "c") == 0
    assert await limiter.hit("2 per second; 4 per hour", "c") == 1
    clock.advance(1)
    assert await limiter.hit("2 per second; 4 per hour", "c") == 0
    assert await limiter.hit("2 per second; 4 per hour", "c") == 3599


async def test_claims_in_flight_count_until_settled(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(clock)
    assert await limiter.reserve("2 per minute", "k") == 0
    assert await limiter.reserve("2 per minute", "k") == 0
    # Two attempts in flight could use up both tries: a third must wait.
    assert await limiter.reserve("2 per minute", "k") == 1
    await limiter.settle("2 per minute", "k", failed=False)  # a success: not counted
    assert await limiter.reserve("2 per minute", "k") == 0
    await limiter.settle("2 per minute", "k", failed=True)
    await limiter.settle("2 per minute", "k", failed=True)
    assert await limiter.reserve("2 per minute", "k") == 60
    clock.advance(60)
    assert await limiter.reserve("2 per minute", "k") == 0


async def test_emptied_windows_are_dropped(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(clock)
    for n in range(100):
        await limiter.hit("5 per minute", f"attacker-{n}")
    assert len(limiter) == 100
    clock.advance(SWEEP_SECONDS)
    await limiter.hit("5 per hour", "recent")
    assert len(limiter) == 1


async def test_decisions_match_the_limits_library() -> None:
    """Random operations (within one window, so that the two clocks cannot disagree)
    get the same answers here as from ``limits``' memory storage and strategy."""
    rng = random.Random(7)  # noqa: S311 (a reproducible test sequence)
    ours = MemoryRateLimiter()
    theirs = LimitsRateLimiter(MemoryStorage())
    limit = "4 per hour; 6 per day"
    claimed: dict[str, int] = {"a": 0, "b": 0}
    for _ in range(300):
        key = rng.choice("ab")
        operation = rng.choice(["hit", "retry_after", "reserve", "settle"])
        if operation == "settle":
            if not claimed[key]:
                continue
            failed = rng.random() < 0.7
            await ours.settle(limit, key, failed=failed)
            await theirs.settle(limit, key, failed=failed)
            claimed[key] -= 1
            continue
        mine = await getattr(ours, operation)(limit, key)
        reference = await getattr(theirs, operation)(limit, key)
        assert mine == reference, (operation, key)
        if operation == "reserve" and mine == 0:
            claimed[key] += 1
