"""`authgate mail test | outbox`."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from authgate.cli._common import EXIT_CONFIG, fail, settings_or_exit
from authgate.core.errors import ConfigurationError

mail_app = typer.Typer(help="Send a test mail; list the outbox.", no_args_is_help=True)


@mail_app.command("test")
def mail_test(
    address: str,
    language: Annotated[str, typer.Option("--language", help="en or ko.")] = "en",
) -> None:
    """Send a test mail to ADDRESS now, through SMTP or into the outbox."""
    from authgate.mail import (
        LANGUAGES,
        MailAddressError,
        MailDeliveryError,
        MailTemplates,
        OutboxTransport,
        compose,
        transport_for,
    )

    if language not in LANGUAGES:
        fail(f"--language must be one of {', '.join(LANGUAGES)}")
    settings = settings_or_exit()
    try:
        templates = MailTemplates(settings.mail_templates)
        rendered = templates.render("test", language, email=address, public_url=settings.public_url)
        message = compose(
            sender=settings.mail_from, to=address, rendered=rendered, language=language
        )
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIG)
    except MailAddressError as exc:
        fail(str(exc))
    except Exception as exc:  # a deployer's template that does not render
        fail(f"cannot render the test mail: {exc}")
    transport = transport_for(settings)
    try:
        where = asyncio.run(transport.send(message))
    except MailDeliveryError as exc:
        kind = "permanent" if exc.permanent else "temporary"
        fail(f"not delivered ({kind}): {exc}")
    except KeyboardInterrupt:
        fail("interrupted", 130)
    verb = "written to" if isinstance(transport, OutboxTransport) else "sent through"
    typer.echo(f"{verb} {where}")


@mail_app.command("outbox")
def mail_outbox(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """List the mails in the outbox directory, newest first."""
    from authgate.mail import list_outbox

    settings = settings_or_exit()
    if settings.smtp_url is not None:
        typer.echo(
            "note: AUTHGATE_SMTP_URL is set, so mails go to SMTP; the outbox holds only "
            "what was written before",
            err=True,
        )
    directory = settings.outbox_path
    entries = list_outbox(directory)
    if not entries:
        typer.echo(f"no mail in {directory}", err=True)
    for entry in entries:
        if as_json:
            fields = {"date": entry.date, "to": entry.to, "subject": entry.subject}
            typer.echo(json.dumps({**fields, "file": str(entry.path)}, ensure_ascii=False))
        else:
            typer.echo(f"{entry.date}  {entry.to}  {entry.subject}  {entry.path}")
