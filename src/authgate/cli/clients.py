"""`authgate client create | list | delete`: OpenID Connect clients (API.md §5)."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer

from authgate.cli._common import fail, run, settings_or_exit
from authgate.core.oidc import Client
from authgate.core.oidc_clients import OidcClients

T = TypeVar("T")

client_app = typer.Typer(help="Manage OpenID Connect clients.", no_args_is_help=True)


async def _with_clients(action: Callable[[OidcClients], Coroutine[Any, Any, T]]) -> T:
    from authgate.runtime import Runtime

    runtime = Runtime(settings_or_exit())
    async with runtime.running(background=False):
        return await action(runtime.oidc_clients)


def _describe(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "name": client.name,
        "type": "public" if client.is_public else "confidential",
        "first_party": client.first_party,
        "redirect_uris": list(client.redirect_uris),
        "created_at": client.created_at.isoformat(),
    }


@client_app.command("create")
def client_create(
    name: str,
    redirect_uri: Annotated[
        list[str],
        typer.Option("--redirect-uri", help="A redirect URI, exactly as the client sends it."),
    ],
    public: Annotated[
        bool, typer.Option("--public", help="No secret (a browser or native app; PKCE only).")
    ] = False,
    first_party: Annotated[
        bool, typer.Option("--first-party", help="Your own app: users are not asked to consent.")
    ] = False,
) -> None:
    """Register a client; its secret is printed once (only its hash is kept)."""

    async def create(clients: OidcClients) -> tuple[Client, str | None]:
        return await clients.create(name, redirect_uri, public=public, first_party=first_party)

    client, secret = run(_with_clients(create))
    typer.echo(f"client_id: {client.id}")
    if secret is not None:
        typer.echo(f"client_secret: {secret}")
        typer.echo("(the secret is shown only now: store it with the client's configuration)")


@client_app.command("list")
def client_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """List the registered clients (never their secrets)."""

    async def listing(clients: OidcClients) -> list[Client]:
        return list(await clients.list())

    for client in run(_with_clients(listing)):
        described = _describe(client)
        if as_json:
            typer.echo(json.dumps(described))
        else:
            kind = described["type"] + (", first-party" if client.first_party else "")
            uris = " ".join(client.redirect_uris)
            typer.echo(f"{client.id}  {client.name}  ({kind})  {uris}")


@client_app.command("delete", context_settings={"ignore_unknown_options": True})
def client_delete(client_id: str) -> None:
    """Delete a client: its codes, consents and the sessions it held end.

    An id that begins with "-" (made before new ids stopped doing so) is read
    as the id, not as an option.
    """

    async def delete(clients: OidcClients) -> None:
        await clients.delete(client_id)

    if not client_id.strip():
        fail("a client id is required")
    run(_with_clients(delete))
    typer.echo(f"deleted {client_id}")
