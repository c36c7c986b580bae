"""glibc's calls and tunables (Linux): each in a fresh interpreter, as the server
makes them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from authgate.libc import with_huge_pages

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc: Linux")


def run(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", f"from authgate import libc\n{code}"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.stdout.strip()


def test_name_process_sets_the_name_ps_shows() -> None:
    code = "libc.name_process(b'agtest')\nprint(open('/proc/self/comm').read())"
    assert run(code) == "agtest"


RSS = "int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGESIZE')"


def test_malloc_trim_hands_freed_heap_back() -> None:
    # 64 MB of blocks too small for mmap, freed below one block still in use (so that
    # free() cannot shrink the heap from its top): they stay in the process until
    # malloc_trim gives their pages back.
    code = (
        "import os\n"
        "blocks = [bytearray(4000) for _ in range(16000)]\n"
        "pinned = bytearray(4000)\n"
        "del blocks\n"
        f"before = {RSS}\n"
        "libc.malloc_trim()()\n"
        f"print(before - {RSS})"
    )
    assert int(run(code)) > 32_000_000


def test_limit_malloc_arenas_is_accepted() -> None:
    assert run("libc.limit_malloc_arenas(1)\nprint('ok')") == "ok"


def test_with_huge_pages_adds_the_tunable_once() -> None:
    base = {"PATH": "/bin"}
    assert with_huge_pages(base) == {"PATH": "/bin", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
    assert base == {"PATH": "/bin"}  # a copy
    other = {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}
    assert with_huge_pages(other)["GLIBC_TUNABLES"] == (
        "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"
    )
    chosen = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}
    assert with_huge_pages(chosen) == chosen


HUGE = (
    "import re\n"
    "print(re.search(r'AnonHugePages:\\s+(\\d+)', open('/proc/self/smaps_rollup').read())[1])"
)
THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")


@pytest.mark.skipif(
    not THP.exists() or "[never]" in THP.read_text(), reason="no transparent huge pages here"
)
def test_the_tunable_puts_a_large_block_in_huge_pages() -> None:
    """24 MiB from malloc (Argon2id takes 19) lies partly in huge pages with the
    tunable; without it only where the kernel gives them to every process."""
    code = f"block = bytearray(24 << 20)\n{HUGE}"
    plain = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    tuned_kib = int(run(code, with_huge_pages(plain)))
    assert tuned_kib >= 2048  # at least one (most, where the kernel finds free 2 MiB)
    if "[madvise]" in THP.read_text():
        assert int(run(code, plain)) == 0
