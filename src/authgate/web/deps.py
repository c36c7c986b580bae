"""The ``current_user`` dependency: find the access token, verify it, check revocation.

Token lookup (API.md §3): the ``Authorization`` header if present (only the form
``Bearer <token>``), otherwise the access cookie when the server allows cookies
(its name and every other cookie rule: :mod:`authgate.web.cookies`). A request
carrying both is judged by the header. Query strings are never read. A
cookie-authenticated request with an unsafe method must come from this site and
pass the CSRF check.
No database round trip: the principal comes from the verified claims.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.security import OAuth2PasswordBearer

from authgate.core.errors import TokenInvalid, TokenMissing
from authgate.core.models import Principal
from authgate.core.policies import check_mfa, check_recent, check_roles
from authgate.core.ports import Clock

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate

MAX_TOKEN_CHARS = 8192
#: Where the authentication middleware leaves the principal for the dependency.
PRINCIPAL_SCOPE_KEY = "authgate.principal"


def bearer_token(authorization: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1).

    Raises:
        TokenMissing: the header is not of that form.
    """
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise TokenMissing("Authorization is not 'Bearer <token>'")
    return token


class CurrentUser(OAuth2PasswordBearer):
    """``Depends(gate.current_user)`` gives the route the caller's :class:`Principal`.

    Being an ``OAuth2PasswordBearer`` declares the password flow in OpenAPI (so
    /docs can "Authorize") without a second dependency to resolve per request; the
    token itself is read here, since it may also come in the cookie.
    """

    def __init__(self, gate: AuthGate) -> None:
        super().__init__(tokenUrl="/auth/login", scheme_name="OAuth2PasswordBearer")
        self.gate = gate

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        principal = request.scope.get(PRINCIPAL_SCOPE_KEY)
        if principal is not None:  # already authenticated by AuthenticateProtected
            return principal  # type: ignore[no-any-return]
        return self.authenticate(request)

    def presented_token(self, request: Request) -> tuple[str, bool]:
        """The access token the request is judged by, and whether it is the cookie
        (the header wins when both are allowed and present).

        Raises:
            TokenMissing: neither transport carries a token.
        """
        authorization = request.headers.get("authorization")
        if authorization is not None and self.gate.settings.token_transport != "cookie":
            return bearer_token(authorization), False
        if cookie := self.gate.cookies.access_cookie(request):
            return cookie, True
        raise TokenMissing("no token")

    def authenticate(self, request: Request) -> Principal:
        """The request's principal; no I/O.

        Raises:
            TokenError: missing, expired, revoked or invalid token.
            CsrfFailed: a cookie-authenticated unsafe request from another site or
                without the CSRF echo.
            ServiceUnavailable: revocation state cannot be trusted right now.
        """
        token, from_cookie = self.presented_token(request)
        if len(token) > MAX_TOKEN_CHARS:
            raise TokenInvalid("token too long")
        principal = self.gate.service.authenticate(token)
        if from_cookie:
            self.gate.cookies.check_unsafe(request, principal.token_id)
        return principal


PrincipalOf = Callable[[Request], Awaitable[Principal]]


def mfa_dependency(current: PrincipalOf) -> PrincipalOf:
    """A dependency like ``current``, that also requires a two-factor sign-in."""

    async def require_mfa(request: Request) -> Principal:
        principal = await current(request)
        check_mfa(principal)
        return principal

    return require_mfa


def roles_dependency(current: PrincipalOf, roles: tuple[str, ...]) -> PrincipalOf:
    """A dependency like ``current``, that also requires every one of ``roles``
    (403 ``forbidden`` without)."""

    async def require_roles(request: Request) -> Principal:
        principal = await current(request)
        check_roles(principal, roles)
        return principal

    return require_roles


def recent_dependency(current: PrincipalOf, clock: Clock, max_age: float) -> PrincipalOf:
    """A dependency like ``current``, that also requires a sign-in at most
    ``max_age`` seconds old."""

    async def recent_auth(request: Request) -> Principal:
        principal = await current(request)
        check_recent(principal, clock(), max_age)
        return principal

    return recent_auth
