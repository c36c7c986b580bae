"""The ``authgate`` command line (Typer): serve, users, tokens, database.

Expected failures (bad input, bad configuration, unreachable database) print one
line to stderr and exit non-zero; no tracebacks.
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import json
import logging
import logging.config
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from authgate.core.errors import AuthError, ConfigurationError
from authgate.core.settings import Settings, load_settings

T = TypeVar("T")

app = typer.Typer(
    help="authgate: JWT authentication service and toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Inspect tokens.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")

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
        async with runtime.running(background=False) as service:
            return await func(service, *args, **kwargs)

    return wrapper


# -- serve ---------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Run the server (applies pending migrations first)."""
    import uvicorn

    from authgate.logconfig import log_config

    settings = settings_or_exit()
    logging.config.dictConfig(log_config())
    if workers > 1 and settings.redis_url is None:
        fail(
            f"--workers {workers} needs AUTHGATE_REDIS_URL: revocations and rate limits "
            "must be shared by the worker processes",
            EXIT_CONFIG,
        )
    run(_preflight(settings))
    proxies = settings.trusted_proxies
    uvicorn.run(
        "authgate.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=access_log,
        log_config=log_config(),
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies or "127.0.0.1",
        server_header=False,
    )


async def _preflight(settings: Settings) -> None:
    """Fail fast, once, before any worker starts: database, schema, keys."""
    from authgate.core.keys import load_key_ring
    from authgate.storage.ratelimit import validate_limits
    from authgate.storage.sql import Database

    validate_limits(settings)
    db = Database(settings.database_url)
    try:
        await db.check_reachable()
        await db.upgrade()
    finally:
        await db.dispose()
    load_key_ring(settings)


# -- users ---------------------------------------------------------------------


def _ask_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        fail("the passwords do not match")
    return first


@user_app.command("create")
def user_create(
    email: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user (the password is asked for, never echoed)."""
    password = _ask_password(password_stdin)

    @with_runtime
    async def create(service: Any) -> Any:
        return await service.register(email, password)

    user = run(create())
    typer.echo(f"created {user.email} ({user.id})")


@user_app.command("list")
def user_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """List users."""

    @with_runtime
    async def listing(service: Any) -> Any:
        return await service.users.list(limit=100_000)

    for user in run(listing()):
        state = "disabled" if user.is_disabled else "active"
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "id": user.id,
                        "email": user.email,
                        "created_at": user.created_at.isoformat(),
                        "disabled": user.is_disabled,
                    }
                )
            )
        else:
            typer.echo(f"{user.id}  {user.email}  {user.created_at:%Y-%m-%d %H:%M}  {state}")


@user_app.command("disable")
def user_disable(email: str) -> None:
    """Disable a user: their sessions and tokens are revoked."""

    @with_runtime
    async def disable(service: Any) -> Any:
        return await service.disable(email)

    user = run(disable())
    typer.echo(f"disabled {user.email}; every session and token of theirs is revoked")


# -- tokens --------------------------------------------------------------------


def _when(epoch: object) -> str:
    if not isinstance(epoch, int | float) or isinstance(epoch, bool):
        return f"{epoch!r} (not a NumericDate)"
    moment = datetime.fromtimestamp(epoch, UTC)
    local = moment.astimezone()
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({local:%Y-%m-%d %H:%M:%S %Z} local)"


@token_app.command("decode")
def token_decode(token: str) -> None:
    """Show a token's header and claims, and whether it verifies here."""
    from authgate.core.errors import TokenError
    from authgate.core.keys import load_key_ring
    from authgate.core.tokens import AccessTokens

    settings = settings_or_exit()
    try:
        tokens = AccessTokens(
            load_key_ring(settings),
            ttl=settings.access_ttl_seconds,
            issuer=settings.issuer,
            audience=settings.audience,
            leeway=settings.leeway,
        )
        header, claims = tokens.decode_unverified(token)
    except (ConfigurationError, AuthError) as exc:
        fail(str(exc) if isinstance(exc, ConfigurationError) else f"not a JWT: {exc.reason}")
    typer.echo("header: " + json.dumps(header, indent=2, sort_keys=True))
    typer.echo("claims: " + json.dumps(claims, indent=2, sort_keys=True, default=str))
    now = datetime.now(UTC).timestamp()
    for name in ("iat", "nbf", "exp"):
        if name in claims:
            typer.echo(f"{name}: {_when(claims[name])}")
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        left = exp - now
        typer.echo(f"time left: {int(left)} s" if left > 0 else f"expired {int(-left)} s ago")
    try:
        tokens.verify(token, now)
    except TokenError as exc:
        typer.echo(f"verifies here: no ({exc.code}: {exc.reason})")
        raise typer.Exit(EXIT_ERROR) from None
    typer.echo("verifies here: yes")


# -- database ------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (SQLite or PostgreSQL)."""
    from authgate.storage.sql import Database

    settings = settings_or_exit()

    async def upgrade() -> str | None:
        db = Database(settings.database_url)
        try:
            await db.check_reachable()
            await db.upgrade()
            return await db.revision()
        finally:
            await db.dispose()

    typer.echo(f"database at revision {run(upgrade())}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
