"""glibc, for what Python's standard library does not reach: a process's name, one
malloc arena for every thread, freed heap handed back to the OS. Linux only; elsewhere
(or without glibc's functions) there is nothing to call, and nothing changes."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable
from typing import Any

#: prctl()'s option that names the calling thread (and the threads it starts).
_PR_SET_NAME = 15
#: mallopt()'s option for the most malloc arenas.
_M_ARENA_MAX = -8


@functools.cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _function(name: str) -> Any:
    """glibc's ``name``, or None."""
    return getattr(_libc(), name, None)


def name_process(name: bytes) -> None:
    """Set the name ``ps``, ``top`` and ``pgrep`` show (the interpreter's otherwise)."""
    prctl = _function("prctl")
    if prctl is not None:
        prctl(_PR_SET_NAME, name)


def limit_malloc_arenas(count: int) -> None:
    """Let the threads of this process share at most ``count`` malloc arenas."""
    mallopt = _function("mallopt")
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, count)


def malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)`` as a function of no arguments, or None."""
    trim = _function("malloc_trim")
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    return lambda: trim(0)
