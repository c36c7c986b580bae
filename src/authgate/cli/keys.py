"""`authgate keys generate | rotate | list`."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from authgate.core.errors import AuthError, ConfigurationError
from authgate.core.settings import Settings, parse_duration

if TYPE_CHECKING:
    from authgate.storage.keyfiles import KeyDirectory

from authgate.cli._common import (
    EXIT_CONFIG,
    fail,
    readable_time,
    settings_or_exit,
    with_runtime,
)

keys_app = typer.Typer(help="Asymmetric signing keys (EdDSA, ES256, RS256).", no_args_is_help=True)

# -- keys ----------------------------------------------------------------------


def _key_directory(settings: Settings) -> tuple[KeyDirectory, int]:
    from authgate.storage.keyfiles import KeyDirectory, keys_path

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
    from authgate.storage.keyfiles import KeyExists

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
    typer.echo(
        f"new {record.algorithm} key {record.kid} signs from {readable_time(record.signs_from)}"
    )
    _record_rotation(record.kid, record.algorithm)
    for old in before:
        if old.algorithm == settings.algorithm and old.retired_at is None:
            until = readable_time(record.signs_from + window)
            typer.echo(
                f"old key {old.kid} stays published and accepted until {until}, "
                "when the last token it signed has expired"
            )


def _record_rotation(kid: str, algorithm: str) -> None:
    """Keep the rotation as a security event; the rotation stands if that fails."""

    @with_runtime
    async def record(service: Any) -> None:
        await service.record_event("key_rotated", kid=kid, algorithm=algorithm)

    try:
        asyncio.run(record())
    except (AuthError, ConfigurationError) as exc:
        typer.echo(f"warning: the rotation is done; its event was not kept ({exc})", err=True)


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
        when = f" ({detail} {readable_time(moment)})" if detail and moment is not None else ""
        created = datetime.fromtimestamp(record.created_at, UTC)
        typer.echo(f"{record.kid}  {record.algorithm:<5}  {created:%Y-%m-%d %H:%M}  {state}{when}")
