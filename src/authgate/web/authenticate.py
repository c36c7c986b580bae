"""Authentication before routing, for the server's protected routes.

A pure ASGI middleware: a request to a route that depends on ``gate.current_user``
is authenticated here, before FastAPI routes it and solves its dependencies. A bad
token is answered at once, by the same mapping as everywhere (``web/errors.py``), so
a flood of forged tokens costs a fraction of a full request; a good one leaves its
principal in the scope, where the dependency picks it up instead of checking again.
Library users who mount ``gate.router`` without it lose nothing: the dependency
then does the whole check itself.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from authgate.core.errors import AuthError
from authgate.web.deps import PRINCIPAL_SCOPE_KEY
from authgate.web.errors import auth_error_response
from authgate.web.methods import api_operations

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate


log = logging.getLogger("authgate.web")
#: The start of a named group in a path pattern (``{user_id}`` becomes one).
_GROUP_NAME = re.compile(r"\(\?P<\w+>")


def protected_operations(app: FastAPI, scheme: str) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """(path pattern, methods) of every operation the OpenAPI schema marks as secured
    by ``scheme`` — exactly the routes that depend on that security dependency."""
    protected: dict[str, set[str]] = {}
    for path, method, schemes in api_operations(app):
        if scheme in schemes:
            protected.setdefault(path, set()).add(method)
    return [(compile_path(path)[0], frozenset(methods)) for path, methods in protected.items()]


def by_method(
    operations: list[tuple[re.Pattern[str], frozenset[str]]],
) -> dict[str, re.Pattern[str]]:
    """One pattern per method, matching the paths of all its operations: a request is
    then one match, not one per protected route (31 here, on every request). The
    parameters' group names go (an alternation may not repeat one); each path keeps
    its own anchors."""
    paths: dict[str, list[str]] = {}
    for pattern, methods in operations:
        unnamed = _GROUP_NAME.sub("(?:", pattern.pattern)
        for method in methods:
            paths.setdefault(method, []).append(f"(?:{unnamed})")
    return {method: re.compile("|".join(alternatives)) for method, alternatives in paths.items()}


class AuthenticateProtected:
    """Authenticates requests bound for routes that require ``gate.current_user``."""

    def __init__(self, app: ASGIApp, gate: AuthGate, routes_of: FastAPI) -> None:
        self.app = app
        self.gate = gate
        self.routes_of = routes_of
        self._protected: dict[str, re.Pattern[str]] | None = None

    def _protected_routes(self) -> dict[str, re.Pattern[str]]:
        # Read from the app once, on first use: every route is registered by then.
        if self._protected is None:
            try:
                scheme = self.gate.current_user.scheme_name
                self._protected = by_method(protected_operations(self.routes_of, scheme))
            except Exception:  # the dependency still checks every protected route
                log.exception("cannot list the protected routes; checking in the routes")
                self._protected = {}
        return self._protected

    def _is_protected(self, scope: Scope) -> bool:
        pattern = self._protected_routes().get(scope["method"])
        return pattern is not None and pattern.match(scope["path"]) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._is_protected(scope):
            request = Request(scope)
            try:
                scope[PRINCIPAL_SCOPE_KEY] = self.gate.current_user.authenticate(request)
            except AuthError as exc:
                await auth_error_response(request, exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)
