"""benchmarks/cpu_quota.py: the cgroup that holds percore.py's server to a CPU quota
(its limit, who joins it, that it is gone afterwards; no timing is checked)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.append(str(BENCHMARKS))

import cpu_quota  # noqa: E402 (a script's module, found through its directory)


def unavailable(why: object) -> None:
    """No CPU-limited cgroup here: a skip on a developer's machine (not root, no
    controller; percore.py --quota then says so itself), a failure in CI (root)."""
    if os.environ.get("CI"):
        pytest.fail(f"no CPU quota in CI: {why}", pytrace=False)
    pytest.skip(str(why))


def limit(group: Path) -> tuple[int, int]:
    """The group's quota and period, in µs, from cgroup v2's or v1's files."""
    if (group / "cpu.max").exists():
        quota, period = (group / "cpu.max").read_text().split()
        return int(quota), int(period)
    quota = (group / "cpu.cfs_quota_us").read_text()
    return int(quota), int((group / "cpu.cfs_period_us").read_text())


def command_line(pid: int) -> bytes:
    """The process's command line; empty while it is between two programs (execve)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except ProcessLookupError:
        return b""


def started_in(procs: Path) -> subprocess.Popen[bytes]:
    """``sleep 30`` started through :func:`cpu_quota.joining`, once it is in the group
    and has become ``sleep`` (the shell writes its pid, then execs)."""
    child = subprocess.Popen(cpu_quota.joining(procs, ["sleep", "30"]))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (
        str(child.pid) in procs.read_text().split() and command_line(child.pid).startswith(b"sleep")
    ):
        time.sleep(0.02)
    return child


def test_a_process_started_through_joining_runs_in_a_group_held_to_the_quota() -> None:
    try:
        with cpu_quota.quota_group(0.5) as procs:
            group = procs.parent
            assert limit(group) == (5_000, 10_000)
            child = started_in(procs)
            try:
                assert procs.read_text().split() == [str(child.pid)]
                assert command_line(child.pid).startswith(b"sleep")
            finally:
                child.kill()
                child.wait()
    except cpu_quota.QuotaUnavailable as exc:
        unavailable(exc)
    assert not group.exists()


def test_the_group_is_removed_even_with_a_process_still_in_it() -> None:
    child = None
    try:
        with cpu_quota.quota_group(1.0) as procs:
            group = procs.parent
            assert limit(group) == (10_000, 10_000)
            child = started_in(procs)
        assert not group.exists()
        assert child.poll() is None  # moved out of the group, not ended
    except cpu_quota.QuotaUnavailable as exc:
        unavailable(exc)
    finally:
        if child is not None:
            child.kill()
            child.wait()
