"""What every command shares: one-line failures, settings, running coroutines."""

from __future__ import annotations

import asyncio
import functools
import getpass
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import typer

from authgate.core.errors import AuthError, ConfigurationError
from authgate.core.events import FixedOrigin, set_origin
from authgate.core.settings import Settings, load_settings

T = TypeVar("T")

EXIT_ERROR = 1
EXIT_CONFIG = 2


def fail(message: str, status: int = EXIT_ERROR) -> NoReturn:
    """Print one line to stderr and exit."""
    first = message.strip().splitlines()
    typer.echo(f"error: {first[0] if first else 'failed'}", err=True)
    for line in first[1:]:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(status)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIG)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine; expected errors become one line on stderr."""
    try:
        return asyncio.run(coro)
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIG)
    except AuthError as exc:
        fail(_describe(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)


def _describe(exc: AuthError) -> str:
    from authgate.core.i18n import message

    reason = f" ({exc.reason})" if exc.reason and exc.reason != exc.code else ""
    return f"{message(exc.code)}{reason} [{exc.code}]"


def with_runtime(
    func: Callable[..., Coroutine[Any, Any, T]],
) -> Callable[..., Coroutine[Any, Any, T]]:
    """Give a command coroutine a started service (no background tasks)."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        from authgate.runtime import Runtime

        runtime = Runtime(settings_or_exit())
        set_origin(FixedOrigin(user_agent=f"authgate-cli ({_operator()})"))
        async with runtime.running(background=False) as service:
            return await func(service, *args, **kwargs)

    return wrapper


def _operator() -> str:
    """Who runs the command (for the events it causes)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def readable_time(epoch: object) -> str:
    """A NumericDate in UTC and local time (or what is wrong with it)."""
    if not isinstance(epoch, int | float) or isinstance(epoch, bool):
        return f"{epoch!r} (not a NumericDate)"
    try:
        moment = datetime.fromtimestamp(epoch, UTC)
        local = moment.astimezone()
    except (OverflowError, ValueError, OSError):
        return f"{epoch} (out of the calendar's range)"
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({local:%Y-%m-%d %H:%M:%S %Z} local)"
