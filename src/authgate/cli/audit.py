"""`authgate audit`: the security events, newest first, as text or JSON lines."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

from authgate.cli._common import fail, run, with_runtime
from authgate.core.activity import MAX_PAGE
from authgate.core.config_values import parse_duration
from authgate.core.context import to_datetime
from authgate.core.errors import NotFound
from authgate.core.events import Event


def _since(value: str | None, now: float) -> datetime | None:
    if value is None:
        return None
    try:
        return to_datetime(now - parse_duration(value))
    except ValueError as exc:
        fail(f"--since: {exc}")


def _line(event: Event, emails: dict[str, str]) -> str:
    who = emails.get(event.user_id or "", event.user_id or "-")
    actor = f" by={emails.get(event.actor_id, event.actor_id)}" if event.actor_id else ""
    detail = "".join(f" {key}={value}" for key, value in sorted(event.detail.items()))
    return (
        f"{event.at:%Y-%m-%dT%H:%M:%SZ}  {event.type:<22} user={who}{actor}"
        f" ip={event.ip or '-'}{detail}  ua={event.user_agent!r}"
    )


def _json(event: Event, emails: dict[str, str]) -> str:
    record: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "user_id": event.user_id,
        "email": emails.get(event.user_id or ""),
        "actor_id": event.actor_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "detail": dict(event.detail),
    }
    return json.dumps(record, ensure_ascii=False)


def audit(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's (email).")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only this type (login…).")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only the last while: 3600, 30m, 12h, 1d.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="At most this many (newest first).")
    ] = 100,
) -> None:
    """Security events (logins, failures, changes, admin actions), newest first."""

    @with_runtime
    async def read(service: Any) -> tuple[list[Event], dict[str, str]]:
        user_id = None
        if user is not None:
            try:
                user_id = (await service.accounts.by_email(user)).id
            except NotFound:
                fail(f"no user {user!r}")
        cursor = None
        found: list[Event] = []
        after = _since(since, service.clock())
        while len(found) < limit:
            page, cursor = await service.activity.page(
                cursor=cursor,
                limit=min(MAX_PAGE, limit - len(found)),
                user_id=user_id,
                type=type_,
                since=after,
            )
            found.extend(page)
            if cursor is None:
                break
        emails: dict[str, str] = {}
        for someone in {e.user_id for e in found} | {e.actor_id for e in found}:
            if someone and (account := await service.users.by_id(someone)) is not None:
                emails[someone] = account.email
        return found, emails

    events, emails = run(read())
    for event in events:
        typer.echo(_json(event, emails) if as_json else _line(event, emails))
