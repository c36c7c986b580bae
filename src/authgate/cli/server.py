"""`authgate serve`: fail fast once, migrate in a child process, run uvicorn."""

from __future__ import annotations

import logging
import logging.config
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Annotated

import typer

from authgate.cli._common import (
    EXIT_CONFIG,
    fail,
    run,
    settings_or_exit,
)
from authgate.core.settings import Settings

# -- serve ---------------------------------------------------------------------


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Run the server (applies pending migrations first)."""
    from authgate import serving
    from authgate.logconfig import log_config

    settings = settings_or_exit()
    logging.config.dictConfig(log_config(fmt=settings.log_format))
    if workers > 1 and settings.redis_url is None:
        fail(
            f"--workers {workers} needs AUTHGATE_REDIS_URL: revocations and rate limits "
            "must be shared by the worker processes",
            EXIT_CONFIG,
        )
    _check_listen(host, port)
    run(_preflight(settings))
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its counters to files here; /metrics sums them
        # (authgate.web.metrics).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="authgate-metrics-")
    # A fresh interpreter (same PID) serves; where there is none, this one does.
    serving.exec_fresh(host=host, port=port, workers=workers, access_log=access_log)
    serving.run(settings, host=host, port=port, workers=workers, access_log=access_log)


def _check_listen(host: str, port: int) -> None:
    """One line and exit status 1 if ``host:port`` cannot be listened on (in use, no
    such interface), instead of uvicorn's start-up and shut-down log lines."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        fail(f"--host {host}: {getattr(exc, 'strerror', None) or exc}")
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


async def _preflight(settings: Settings) -> None:
    """Fail fast, once, before any worker starts: Redis, database, schema, keys, mail
    templates."""
    from authgate.mail.templates import MailTemplates
    from authgate.storage.keysource import load_key_ring
    from authgate.storage.ratelimit import validate_limits
    from authgate.storage.sql import Database

    validate_limits(settings)
    MailTemplates(settings.mail_templates)  # the deployer's directory, if set, exists
    if settings.redis_url is not None:
        from authgate.storage.redis import check_redis

        await check_redis(settings.redis_url)
    db = Database(settings.database_url)
    try:
        await db.check_reachable()
        current = await db.is_current()
    finally:
        await db.dispose()
    if not current:
        _migrate_in_child()
    load_key_ring(settings, time.time())


def _migrate_in_child() -> None:
    """Apply migrations in a short-lived child process: Alembic (and its templating
    stack) then never loads into the server, which stays ~12 MB smaller."""
    result = subprocess.run(
        [sys.executable, "-m", "authgate", "db", "upgrade"],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    if result.returncode != 0:  # the child printed its one line to stderr
        raise typer.Exit(result.returncode)
