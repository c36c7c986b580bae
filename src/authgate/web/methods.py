"""HTTP methods on the API's paths, settled before routing: HEAD and 405.

FastAPI's routes take only the methods they declare, and its router answers a wrong
method from the first route whose path matches: ``HEAD /healthz`` would be a 405,
and ``PUT /plans`` would name only ``GET`` in its ``Allow`` though ``POST /plans``
exists. This pure ASGI middleware, which learns the paths from the OpenAPI schema
as ``authenticate.py`` does, answers both for every path of the API:

- ``HEAD`` on a path with a ``GET`` operation is that ``GET`` without its body
  (RFC 9110 §9.3.2): same status, headers and authentication;
- a method the path does not have is 405 ``method_not_allowed``, with an ``Allow``
  header naming all of the path's methods (RFC 9110 §15.5.6). It comes before
  authentication: which methods a path has is no secret (the schema is public).

Paths the schema does not list (the UI, ``/docs``) are left to the router.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate.web.errors import error_response

log = logging.getLogger("authgate.web")

#: An operation of the API: its path, its method and the security schemes it requires.
Operation = tuple[str, str, frozenset[str]]
#: The order of the methods in an ``Allow`` header.
_RANK = {m: i for i, m in enumerate(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"))}


class PathMethods:
    """The methods each path of an API declares (``None`` for a path it does not have)."""

    def __init__(self, operations: Iterable[tuple[str, Iterable[str]]]) -> None:
        methods: dict[str, set[str]] = {}
        for path, verbs in operations:
            methods.setdefault(path, set()).update(verb.upper() for verb in verbs)
        # Most paths are literal: a dict lookup. The templated ones are few.
        self._literal = {p: frozenset(v) for p, v in methods.items() if "{" not in p}
        self._templated = [
            (compile_path(p)[0], frozenset(v)) for p, v in methods.items() if "{" in p
        ]

    def of(self, path: str) -> frozenset[str] | None:
        """The methods of ``path``. A literal path is its own resource: a template
        it also matches (``/auth/passkeys/{passkey}`` for ``/auth/passkeys/login``)
        adds none of its methods."""
        found = self._literal.get(path)
        if found is not None:
            return found
        for pattern, methods in self._templated:
            if pattern.match(path):
                found = methods if found is None else found | methods
        return found


#: What :func:`api_operations` read of each app's schema.
_OPERATIONS: weakref.WeakKeyDictionary[FastAPI, list[Operation]] = weakref.WeakKeyDictionary()


def api_operations(app: FastAPI) -> list[Operation]:
    """(path, METHOD, names of the security schemes it requires) of every operation in
    ``app``'s OpenAPI schema: what the routes declare, wherever and however their
    routers were included. Read once per app.

    The schema is not kept if this built it: it holds 1.7 MB of objects and takes
    0.3 s to build here, for ``/openapi.json`` and ``/docs``, which FastAPI then
    builds it again for. A schema the host app built is left in place."""
    known = _OPERATIONS.get(app)
    if known is None:
        built_here = app.openapi_schema is None
        known = [
            (path, method.upper(), _schemes(operation))
            for path, operations in app.openapi().get("paths", {}).items()
            for method, operation in operations.items()
        ]
        if built_here:
            app.openapi_schema = None
        _OPERATIONS[app] = known
    return known


def _schemes(operation: dict[str, Any]) -> frozenset[str]:
    """The security schemes any of an operation's requirements names."""
    return frozenset(name for requirement in operation.get("security", ()) for name in requirement)


def schema_methods(app: FastAPI) -> PathMethods:
    """The methods of every path in ``app``'s OpenAPI schema."""
    return PathMethods((path, [method]) for path, method, _ in api_operations(app))


def allow_header(methods: frozenset[str]) -> str:
    """The ``Allow`` header for a path declaring ``methods`` (HEAD comes with GET)."""
    allowed = methods | {"HEAD"} if "GET" in methods else methods
    return ", ".join(sorted(allowed, key=lambda m: (_RANK.get(m, len(_RANK)), m)))


class ApiMethods:
    """Answers HEAD like GET, and wrong methods with 405, on the API's paths."""

    def __init__(self, app: ASGIApp, routes_of: FastAPI) -> None:
        self.app = app
        self.routes_of = routes_of
        self._methods: PathMethods | None = None

    def _path_methods(self) -> PathMethods:
        # Read from the app once, on first use: every route is registered by then.
        if self._methods is None:
            try:
                self._methods = schema_methods(self.routes_of)
            except Exception:  # the router still answers, if less precisely
                log.exception("cannot list the API's paths; leaving methods to the router")
                self._methods = PathMethods(())
        return self._methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        methods = self._path_methods().of(scope["path"])
        method = scope["method"]
        if methods is None or method in methods:
            await self.app(scope, receive, send)
        elif method == "HEAD" and "GET" in methods:
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
        else:
            headers = {"Allow": allow_header(methods)}
            response = error_response(405, "method_not_allowed", Request(scope), headers=headers)
            await response(scope, receive, send)


def _without_body(send: Send) -> Send:
    """``send``, keeping the status and headers of a response and dropping its body."""

    async def send_headers(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_headers
