"""The ``authgate`` command line (Typer): serve, doctor, audit, users, tokens, keys,
database, mail, OpenID Connect clients.

Expected failures (bad input, bad configuration, unreachable database, a command line
that does not parse) print one line to stderr and exit non-zero; no tracebacks.
"""

from __future__ import annotations

import os

import typer

from authgate.cli.audit import audit
from authgate.cli.clients import client_app
from authgate.cli.db import db_app
from authgate.cli.doctor import doctor
from authgate.cli.keys import keys_app
from authgate.cli.mail import mail_app
from authgate.cli.server import serve
from authgate.cli.tokens import token_app
from authgate.cli.usage import OneLineUsageErrors
from authgate.cli.users import user_app
from authgate.libc import limit_malloc_arenas

app = typer.Typer(
    cls=OneLineUsageErrors,
    help="authgate: JWT authentication service and toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(serve)
app.command()(doctor)
app.command()(audit)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(mail_app, name="mail")
app.add_typer(client_app, name="client")


def _one_malloc_arena() -> None:
    """Give every thread of this process (and of its worker processes) glibc's main
    arena, before any thread starts. Argon2id's 19 MiB working memory then lives
    where ``malloc_trim`` can hand it back to the OS once logins pause (see
    ``core/passwords.py``); a per-thread arena would keep it for good."""
    os.environ.setdefault("MALLOC_ARENA_MAX", "1")  # read by worker processes at start
    limit_malloc_arenas(int(os.environ["MALLOC_ARENA_MAX"]))


def main() -> None:
    """Console-script entry point."""
    _one_malloc_arena()
    app()


if __name__ == "__main__":
    main()
