"""Pure ASGI middlewares: the request-body limit, and the origin of security events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate.core.events import has_pending, set_origin
from authgate.web.errors import error_response

_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})

log = logging.getLogger("authgate.web")


class BodyLimit:
    """Answers 413 ``payload_too_large`` for a body over ``max_bytes``.

    It reads every body before the app sees it, so it is also where a client that
    goes away in the middle of its body (``http.disconnect``) is dropped: the app is
    not called, nothing is answered (ASGI: the connection is closed) and nothing is
    logged above DEBUG. A client that leaves is not an error of the server.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    await self._too_large(scope, receive, send)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            event = await receive()
            if event["type"] != "http.request":
                log.debug(
                    "%s %s: the client left after %d bytes of the body",
                    scope["method"],
                    scope.get("path", ""),
                    size,
                )
                return
            chunk = event.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not event.get("more_body", False):
                break
        body = b"".join(chunks)
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
        # The rest of the body is never read: the connection cannot be reused.
        response = error_response(
            413, "payload_too_large", Request(scope), headers={"Connection": "close"}
        )
        await response(scope, receive, send)


def _replay(events: list[Message], then: Receive) -> Receive:
    """``events`` first, then the connection's own ``receive`` (its disconnect)."""
    pending = list(events)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive


class RequestOrigin:
    """Where a request came from, for its security events: read from the ASGI scope
    only when an event is noted (most requests note none)."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    @property
    def ip(self) -> str | None:
        client = self._scope.get("client")
        return str(client[0]) if client else None

    @property
    def user_agent(self) -> str:
        for name, value in self._scope.get("headers", ()):
            if name == b"user-agent":
                return bytes(value).decode("latin-1")
        return ""


class EventOrigin:
    """Sets each request's origin for the security events it notes
    (:func:`authgate.core.events.set_origin`), and keeps, before the response goes
    out, any event a route noted and did not keep itself."""

    def __init__(self, app: ASGIApp, flush: Callable[[], Awaitable[None]]) -> None:
        self.app = app
        self.flush = flush

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        set_origin(RequestOrigin(scope))

        async def send_after_flush(message: Message) -> None:
            if message["type"] == "http.response.start" and has_pending():
                await self.flush()
            await send(message)

        await self.app(scope, receive, send_after_flush)
