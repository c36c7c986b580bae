"""`authgate doctor`: check a deployment; one line per finding, exit 1 on a failure."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from authgate.core.errors import ConfigurationError
from authgate.core.settings import load_settings


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per finding.")] = False,
) -> None:
    """Check this deployment (from its AUTHGATE_* environment): secret, public URL and
    cookies, proxies, lifetimes, file modes, database, migrations, Redis, clock, mail.
    Exits 1 if any check fails, so it can gate a deploy."""
    # Here, not at the top: every command is imported by `authgate serve` too, and the
    # checks bring redis-py (~6 MB) into a server that may never use Redis.
    from authgate.ops.doctor import diagnose, settings_finding

    try:
        findings = asyncio.run(diagnose(load_settings()))
    except ConfigurationError as exc:
        findings = settings_finding(exc)
    for finding in findings:
        if as_json:
            line = {"status": finding.status, "check": finding.check, "message": finding.message}
            typer.echo(json.dumps(line, ensure_ascii=False))
        else:
            typer.echo(finding.line())
    failed = sum(f.status == "fail" for f in findings)
    warned = sum(f.status == "warn" for f in findings)
    if not as_json:
        typer.echo(f"{failed} failed, {warned} to look at, {len(findings) - failed - warned} ok")
    if failed:
        raise typer.Exit(1)
