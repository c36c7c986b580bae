"""uvicorn running authgate's app: what ``authgate serve`` becomes once its checks pass.

On POSIX, ``authgate serve`` replaces its own process (same PID) with a fresh
interpreter running ``python -m authgate.serving HOST PORT WORKERS ACCESS_LOG``. The
server then carries none of the command line (Typer, every command's module) nor what
the start-up checks loaded (~3 MB of memory). Settings are read again from the same
environment, to which glibc's huge-page tunable is added
(:func:`authgate.libc.with_huge_pages`). Elsewhere the command calls :func:`run`
itself.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from authgate.core.errors import ConfigurationError
from authgate.core.settings import Settings, load_settings
from authgate.libc import name_process, with_huge_pages
from authgate.logconfig import log_config

if TYPE_CHECKING:
    from fastapi import FastAPI

USAGE = "usage: python -m authgate.serving HOST PORT WORKERS ACCESS_LOG(0|1)"
#: Exit status of a configuration error, as the CLI's.
EXIT_CONFIG = 2


def served_app() -> FastAPI:
    """The app, as uvicorn builds it in the serving process or in each worker process:
    a worker is a fresh interpreter, which ``ps`` and ``top`` would otherwise show by
    the interpreter's name."""
    from authgate.web.app import create_app

    name_process(b"authgate")
    return create_app()


def run(settings: Settings, *, host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve :func:`served_app` with uvicorn (uvloop, httptools)."""
    import uvicorn

    proxies = settings.trusted_proxies
    uvicorn.run(
        "authgate.serving:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        ws="none",  # no WebSocket routes: the websockets library is never loaded
        access_log=access_log,
        log_config=log_config(fmt=settings.log_format),  # applied by uvicorn's Config
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies or "127.0.0.1",
        server_header=False,
    )


def exec_fresh(*, host: str, port: int, workers: int, access_log: bool) -> None:
    """Replace this process with ``python -m authgate.serving …`` (returns only where
    that cannot be done: not POSIX, or no known interpreter)."""
    if os.name != "posix" or not sys.executable:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [str(host), str(port), str(workers), "1" if access_log else "0"]
    # Our own interpreter and module; the arguments were checked by the CLI. Its
    # malloc asks for huge pages (``authgate.libc.with_huge_pages``).
    command = [sys.executable, "-m", "authgate.serving", *argv]
    os.execve(sys.executable, command, with_huge_pages(os.environ))  # noqa: S606


def main(argv: list[str]) -> int:
    """Entry point of the fresh interpreter (arguments already checked by the CLI)."""
    name_process(b"authgate")
    try:
        host, port, workers, access_log = argv
        numbers = int(port), int(workers)
    except ValueError:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except ConfigurationError as exc:  # the environment changed under the checks
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_CONFIG
    run(settings, host=host, port=numbers[0], workers=numbers[1], access_log=access_log == "1")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
