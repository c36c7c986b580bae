"""A CPU quota for a benchmark's server: a Linux cgroup with a CFS bandwidth limit.

On a machine whose cores the load generator and the database share with the server,
"one worker on one core, two on two" cannot be pinned apart. A quota can: the server's
processes get ``cpus`` CPU-seconds per second between them (one worker 0.5, two
workers 1.0, say) and the rest of the machine stays free for wrk and PostgreSQL. The
quota is enforced over a short period (10 ms) so that a request is not held for long
behind a throttled slice.

cgroup v2 (``cpu.max``) and v1 (the ``cpu`` hierarchy's ``cpu.cfs_quota_us``) are both
supported; creating a group needs root, or a delegated cgroup.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 10_000


class QuotaUnavailable(RuntimeError):
    """No writable cgroup with a CPU controller here."""


def _parent() -> tuple[Path, int]:
    """Where a group can be made, and the cgroup version."""
    controllers = ROOT / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        subtree = ROOT / "cgroup.subtree_control"
        if "cpu" not in subtree.read_text().split():
            try:
                subtree.write_text("+cpu")
            except OSError as error:
                raise QuotaUnavailable(f"cannot enable the cpu controller: {error}") from error
        return ROOT, 2
    if (ROOT / "cpu" / "cpu.cfs_quota_us").exists():
        return ROOT / "cpu", 1
    raise QuotaUnavailable(f"no cgroup CPU controller under {ROOT}")


def _limit(group: Path, version: int, cpus: float) -> None:
    quota = max(1_000, round(cpus * PERIOD_US))
    if version == 2:
        (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
    else:
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(quota))


@contextmanager
def quota_group(cpus: float) -> Iterator[Path]:
    """A new cgroup limited to ``cpus`` CPUs; yields its ``cgroup.procs`` file, to which
    a process writes its pid to join (its children then inherit the group)."""
    parent, version = _parent()
    group = parent / f"authgate-bench-{os.getpid()}-{round(cpus * 1000)}"
    try:
        group.mkdir()
    except OSError as error:
        raise QuotaUnavailable(f"cannot create a cgroup at {group}: {error}") from error
    try:
        _limit(group, version, cpus)
    except OSError as error:
        group.rmdir()
        raise QuotaUnavailable(f"cannot limit the CPU of {group}: {error}") from error
    try:
        yield group / "cgroup.procs"
    finally:
        # A group can only be removed once empty: move anything left to the parent.
        for pid in (group / "cgroup.procs").read_text().split():
            try:
                (parent / "cgroup.procs").write_text(pid)
            except OSError:
                pass
        group.rmdir()


def joining(procs: Path, command: list[str]) -> list[str]:
    """``command``, run so that it first joins the group of ``procs``."""
    return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(procs), *command]
