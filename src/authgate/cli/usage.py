"""A command line that does not parse is one line on stderr, like every other failure.

Click prints a usage error (an unknown option or command, a missing argument, a value
of the wrong type) as the usage, a hint and a framed message; API.md §5 wants one
clear line: ``error: <what is wrong> (see 'authgate user create --help')``. The exit
status stays Click's 2. A bare group (``authgate user``) still prints its help.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer._click.core import Context  # Typer 0.29 carries its own Click
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

EXIT_USAGE = 2


@contextmanager
def _one_line() -> Iterator[None]:
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except UsageError as exc:
        message = " ".join(exc.format_message().split()).rstrip(".")
        if exc.ctx is not None:  # Click leaves it out for an option missing its value
            message += f" (see '{exc.ctx.command_path} --help')"
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


class OneLineUsageErrors(TyperGroup):
    """The root group: parse errors of every command under it become one line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: Any,
    ) -> Context:
        with _one_line():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Context) -> Any:
        with _one_line():
            return super().invoke(ctx)
