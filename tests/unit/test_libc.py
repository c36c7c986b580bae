"""glibc's three calls (Linux): each in a fresh interpreter, as the server makes them."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc: Linux")


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", f"from authgate import libc\n{code}"],
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
