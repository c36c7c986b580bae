"""The ``authgate`` command line (Typer): serve, users, tokens, database.

Expected failures (bad input, bad configuration, unreachable database) print one
line to stderr and exit non-zero; no tracebacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import getpass
import json
import logging
import logging.config
import os
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from authgate.core.errors import AuthError, ConfigurationError
from authgate.core.settings import Settings, load_settings, parse_duration

if TYPE_CHECKING:
    from authgate.core.keystore import KeyDirectory

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
keys_app = typer.Typer(help="Asymmetric signing keys (EdDSA, ES256, RS256).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")

#: glibc's mallopt() parameter for the number of arenas.
_M_ARENA_MAX = -8

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
    """Fail fast, once, before any worker starts: Redis, database, schema, keys."""
    from authgate.core.keys import load_key_ring
    from authgate.storage.ratelimit import validate_limits
    from authgate.storage.sql import Database

    validate_limits(settings)
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
    load_key_ring(settings)


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


@user_app.command("import")
def user_import(
    file: Path,
    file_format: Annotated[
        str, typer.Option("--format", help="jsonl, csv, or auto (by extension, then content).")
    ] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the rows only.")] = False,
) -> None:
    """Bring users over: JSON lines or CSV of email and bcrypt hash.

    Bad rows are reported by line and skipped (exit status 1); the good ones are
    stored together or not at all. Users log in with their old passwords.
    """
    from authgate.core.errors import ValidationFailed
    from authgate.core.user_import import import_users, parse_users

    if file_format not in ("auto", "jsonl", "csv"):
        fail("--format must be jsonl, csv or auto")
    suffix = file.suffix.lower()
    if file_format == "auto" and suffix in (".csv", ".jsonl", ".ndjson", ".json"):
        file_format = "csv" if suffix == ".csv" else "jsonl"
    try:
        text = file.read_text(encoding="utf-8-sig")
        batch = parse_users(text, format=file_format)  # type: ignore[arg-type]
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    except ValidationFailed as exc:
        fail(f"{file}: {exc.reason}")
    problems = batch.problems
    imported = len(batch.rows)
    if not dry_run and batch.rows:

        @with_runtime
        async def store(service: Any) -> Any:
            return await import_users(service.users, batch, now=service.clock())

        result = run(store())
        problems, imported = result.problems, result.imported
    for problem in problems:
        typer.echo(f"{file}: line {problem.line}: {problem.reason}; skipped", err=True)
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{verb} {imported} users; skipped {len(problems)} rows")
    if problems:
        raise typer.Exit(EXIT_ERROR)


# -- tokens --------------------------------------------------------------------


def _when(epoch: object) -> str:
    if not isinstance(epoch, int | float) or isinstance(epoch, bool):
        return f"{epoch!r} (not a NumericDate)"
    try:
        moment = datetime.fromtimestamp(epoch, UTC)
        local = moment.astimezone()
    except (OverflowError, ValueError, OSError):
        return f"{epoch} (out of the calendar's range)"
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({local:%Y-%m-%d %H:%M:%S %Z} local)"


def _span(seconds: float) -> str:
    """``3 d 4 h``, ``14 min 59 s``, ``12 s``: the two largest units."""
    left, parts = int(abs(seconds)), list[str]()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join(parts[:2])


@token_app.command("decode")
def token_decode(token: str) -> None:
    """Show a token's header, claims and times, and whether it verifies here."""
    from authgate.core.errors import TokenError
    from authgate.core.keys import load_key_ring
    from authgate.core.tokens import AccessTokens, UnknownKid, decode_unverified

    settings = settings_or_exit()
    try:
        header, claims = decode_unverified(token.strip())
    except AuthError as exc:
        fail(f"not a JWT: {exc.reason}")
    typer.echo("header: " + json.dumps(header, indent=2, sort_keys=True))
    typer.echo("claims: " + json.dumps(claims, indent=2, sort_keys=True, default=str))
    now = time.time()
    for name in ("iat", "nbf", "exp"):
        if name in claims:
            typer.echo(f"{name}: {_when(claims[name])}")
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        left = exp - now
        typer.echo(f"time left: {_span(left)}" if left > 0 else f"expired {_span(left)} ago")
    try:
        ring = load_key_ring(settings, create=False)
    except ConfigurationError as exc:
        typer.echo(f"verifies here: cannot tell ({exc})")
        raise typer.Exit(EXIT_ERROR) from None
    tokens = AccessTokens(
        ring,
        ttl=settings.access_ttl_seconds,
        issuer=settings.issuer,
        audience=settings.audience,
        leeway=settings.leeway,
    )
    try:
        tokens.verify(token.strip(), now)
    except TokenError as exc:
        reason = exc.reason
        if isinstance(exc, UnknownKid):
            held = ", ".join(str(kid) for kid in tokens.keys.verifying) or "none"
            reason = f"kid {header.get('kid')} is not among this server's keys ({held})"
        elif reason == "algorithm not allowed":
            reason = f"alg {header.get('alg')!r} is not AUTHGATE_ALGORITHM={settings.algorithm}"
        typer.echo(f"verifies here: no ({exc.code}: {reason})")
        raise typer.Exit(EXIT_ERROR) from None
    typer.echo("verifies here: yes (signature, algorithm, claims, times; not revocation)")


# -- keys ----------------------------------------------------------------------


def _key_directory(settings: Settings) -> tuple[KeyDirectory, int]:
    from authgate.core.keystore import KeyDirectory, keys_path

    if settings.algorithm == "HS256":
        fail(
            "AUTHGATE_ALGORITHM is HS256: tokens are signed with the shared secret and there "
            "are no keys; set AUTHGATE_ALGORITHM to EdDSA, ES256 or RS256",
            EXIT_CONFIG,
        )
    return KeyDirectory(keys_path(settings)), settings.access_ttl_seconds + settings.leeway


@keys_app.command("generate")
def keys_generate() -> None:
    """Create the signing key for AUTHGATE_ALGORITHM (a first start does it too)."""
    from authgate.core.keystore import KeyExists

    settings = settings_or_exit()
    directory, window = _key_directory(settings)
    try:
        record = directory.add_key(
            settings.algorithm, time.time(), window=window, replace_current=False
        )
    except KeyExists as exc:
        fail(
            f"{directory.path} has an {settings.algorithm} signing key already ({exc}); "
            "`authgate keys rotate` replaces it"
        )
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIG)
    typer.echo(f"generated {record.algorithm} key {record.kid} in {directory.path}")


@keys_app.command("rotate")
def keys_rotate(
    activate_in: Annotated[
        str,
        typer.Option(
            help="Publish the new key now but sign with it only after this long (30s, 5m), "
            "so that services caching the JWKS have it before any token uses it."
        ),
    ] = "0",
) -> None:
    """Make a new signing key; the old one stays published until its last token expired."""
    settings = settings_or_exit()
    directory, window = _key_directory(settings)
    try:
        delay = parse_duration(activate_in)
        before = directory.records()
        record = directory.add_key(
            settings.algorithm, time.time(), window=window, activate_in=delay, replace_current=True
        )
    except ValueError as exc:
        fail(f"--activate-in: {exc}")
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIG)
    typer.echo(f"new {record.algorithm} key {record.kid} signs from {_when(record.signs_from)}")
    for old in before:
        if old.algorithm == settings.algorithm and old.retired_at is None:
            until = _when(record.signs_from + window)
            typer.echo(
                f"old key {old.kid} stays published and accepted until {until}, "
                "when the last token it signed has expired"
            )


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False) -> None:
    """List the keys of the key directory and what each does now."""
    from authgate.core.rotation import key_states

    settings = settings_or_exit()
    directory, window = _key_directory(settings)
    try:
        records = directory.records()
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIG)
    if not records and not as_json:
        typer.echo(f"no keys in {directory.path} (the server makes one at its first start)")
    now = time.time()
    for record, state, moment in key_states(
        records, now=now, window=window, algorithm=settings.algorithm
    ):
        if as_json:
            item = {"kid": record.kid, "alg": record.algorithm, "state": state, "until": moment}
            typer.echo(json.dumps({**item, "created_at": record.created_at}))
            continue
        detail = {
            "next": "signs from",
            "retired": "published until",
            "dropped": "unpublished since",
        }.get(state)
        when = f" ({detail} {_when(moment)})" if detail and moment is not None else ""
        created = datetime.fromtimestamp(record.created_at, UTC)
        typer.echo(f"{record.kid}  {record.algorithm:<5}  {created:%Y-%m-%d %H:%M}  {state}{when}")


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


def _one_malloc_arena() -> None:
    """Give every thread of this process (and of its worker processes) glibc's main
    arena, before any thread starts. Argon2id's 19 MiB working memory then lives
    where ``malloc_trim`` can hand it back to the OS once logins pause (see
    ``core/passwords.py``); a per-thread arena would keep it for good."""
    os.environ.setdefault("MALLOC_ARENA_MAX", "1")  # read by worker processes at start
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.mallopt(_M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))


def main() -> None:
    """Console-script entry point."""
    _one_malloc_arena()
    app()


if __name__ == "__main__":
    main()
