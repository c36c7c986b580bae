"""`authgate token decode`."""

from __future__ import annotations

import json
import math
import time

import typer

from authgate.cli._common import (
    EXIT_ERROR,
    fail,
    readable_time,
    settings_or_exit,
)
from authgate.core.errors import AuthError, ConfigurationError

token_app = typer.Typer(help="Inspect tokens.", no_args_is_help=True)

# -- tokens --------------------------------------------------------------------


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
    from authgate.core.jose import UnknownKid, decode_unverified
    from authgate.core.tokens import AccessTokens
    from authgate.storage.keysource import load_key_ring

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
            typer.echo(f"{name}: {readable_time(claims[name])}")
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and math.isfinite(exp):
        left = exp - now
        typer.echo(f"time left: {_span(left)}" if left > 0 else f"expired {_span(left)} ago")
    try:
        ring = load_key_ring(settings, now, create=False)
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
