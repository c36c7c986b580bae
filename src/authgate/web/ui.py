"""The built web UI (``web/static``, from ``ui/``): static files with the right headers.

Vite names every asset after its content, so ``/assets/*`` may be cached for good;
``index.html`` names the current assets and must be revalidated each time (without
``Cache-Control`` a browser may cache it heuristically and keep asking for assets an
upgrade removed). The pages may not be framed by another site (clickjacking).

The UI answers whatever no API route takes (``app.py`` makes it the router's
default, not a mount at ``/``, so that API paths keep their 404 and 405 answers).
Only GET and HEAD read a file; another method is a 405 where a file is, and a 404
everywhere else, like any unknown path. Range requests are ignored (RFC 9110 §14.2
allows it; the files are small): a malformed or unsatisfiable ``Range`` would
otherwise get Starlette's plain-text 400 or 416, outside the contract's errors.
"""

from __future__ import annotations

import os

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

ASSETS_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
_READ = ("GET", "HEAD")
_RANGE_HEADERS = (b"range", b"if-range")


class UiFiles(StaticFiles):
    """``StaticFiles`` for the UI: long-lived hashed assets, revalidated pages."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a websocket to a path no route has
            await WebSocketClose()(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _RANGE_HEADERS]
        await super().__call__({**scope, "headers": headers}, receive, send)

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] in _READ:
            return await super().get_response(path, scope)
        # StaticFiles would answer 405 whether or not a file is there, making every
        # path "exist" for PUT and not for GET. Look the file up as a GET would.
        found = await super().get_response(path, {**scope, "method": "GET"})
        if found.status_code == 404:
            raise HTTPException(status_code=404)
        raise HTTPException(status_code=405, headers={"Allow": ", ".join(_READ)})

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        is_asset = str(scope.get("path", "")).startswith("/assets/")
        response.headers["Cache-Control"] = ASSETS_CACHE if is_asset else PAGE_CACHE
        response.headers.update(PAGE_HEADERS)
        response.headers["Accept-Ranges"] = "none"
        return response
