"""Route policies on a verified token: a second factor, a recent sign-in.

Pure functions of the principal (and ``now``): the service, the web layer's
dependencies (``gate.require_mfa``, ``gate.recent_auth``) and the JWKS verifier of
other services apply the same rules.
"""

from __future__ import annotations

from authgate.core.errors import Forbidden, ReauthRequired
from authgate.core.models import Principal


def check_mfa(principal: Principal) -> None:
    """Raises ReauthRequired unless the token's sign-in used two factors
    (``amr`` holds ``mfa``: a code after the password, or a user-verified passkey)."""
    if "mfa" not in principal.amr:
        raise ReauthRequired("a sign-in with a second factor is required")


def check_roles(principal: Principal, roles: tuple[str, ...]) -> None:
    """Raises Forbidden unless the token carries every one of ``roles``."""
    missing = [role for role in roles if role not in principal.roles]
    if missing:
        raise Forbidden(f"missing role(s): {', '.join(missing)}")


def check_recent(principal: Principal, now: float, max_age: float) -> None:
    """Raises ReauthRequired unless the token's sign-in (``auth_time``, which a
    refresh keeps) is at most ``max_age`` seconds old."""
    if now - principal.auth_time > max_age:
        raise ReauthRequired("a recent sign-in is required")
