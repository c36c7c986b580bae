"""`authgate user create | list | disable | import`."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from authgate.cli._common import (
    EXIT_ERROR,
    fail,
    run,
    with_runtime,
)

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)

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
    """List users, oldest first (all of them, printed as they are read)."""

    @with_runtime
    async def listing(service: Any) -> None:
        lines: list[str] = []
        async for user in service.users.each():
            lines.append(_listed(user, as_json))
            if len(lines) == 1000:  # one write for many lines, not one each
                typer.echo("\n".join(lines))
                lines.clear()
        if lines:
            typer.echo("\n".join(lines))

    run(listing())


def _listed(user: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            {
                "id": user.id,
                "email": user.email,
                "created_at": user.created_at.isoformat(),
                "disabled": user.is_disabled,
            }
        )
    state = "disabled" if user.is_disabled else "active"
    return f"{user.id}  {user.email}  {user.created_at:%Y-%m-%d %H:%M}  {state}"


@user_app.command("disable")
def user_disable(email: str) -> None:
    """Disable a user: their sessions and tokens are revoked."""

    @with_runtime
    async def disable(service: Any) -> Any:
        return await service.disable(email)

    user = run(disable())
    typer.echo(f"disabled {user.email}; every session and token of theirs is revoked")


@user_app.command("role")
def user_role(
    email: str,
    action: Annotated[str, typer.Argument(help="add or remove")],
    role: str,
) -> None:
    """Grant (add) or take back (remove) a role, carried in the ``roles`` claim.
    Taking one back refuses the user's current access tokens at once; their
    sessions go on, and the next refresh gives tokens without it."""
    if action not in ("add", "remove"):
        fail(f"the action is add or remove, not {action!r}")

    @with_runtime
    async def change(service: Any) -> Any:
        return await service.set_role(email, role, granted=action == "add")

    user = run(change())
    typer.echo(f"{user.email}: roles {', '.join(user.roles) or '(none)'}")


@user_app.command("reset-mfa")
def user_reset_mfa(email: str) -> None:
    """Remove a user's second factors (a lost phone): their authenticator app,
    recovery codes and passkeys; they sign in with the password alone and may set
    them up again."""

    @with_runtime
    async def reset(service: Any) -> Any:
        return await service.reset_mfa(email)

    removed = run(reset())
    typer.echo(
        f"removed the second factors of {email}" if removed else f"{email} had no second factor"
    )


@user_app.command("import")
def user_import(
    file: Path,
    file_format: Annotated[
        str, typer.Option("--format", help="jsonl, csv, or auto (by extension, then content).")
    ] = "auto",
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check the rows and the database; store nothing."),
    ] = False,
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
    imported = 0
    if batch.rows:

        @with_runtime
        async def store(service: Any) -> Any:
            return await import_users(
                service.users,
                batch,
                now=service.clock(),
                dry_run=dry_run,
                events=service.events,
            )

        result = run(store())
        problems, imported = result.problems, result.imported
    for problem in problems:
        typer.echo(f"{file}: line {problem.line}: {problem.reason}; skipped", err=True)
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{verb} {imported} users; skipped {len(problems)} rows")
    if problems:
        raise typer.Exit(EXIT_ERROR)
