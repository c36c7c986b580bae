"""The built web UI (``web/static``, from ``ui/``): static files with the right headers.

Vite names every asset after its content, so ``/assets/*`` may be cached for good;
``index.html`` names the current assets and must be revalidated each time (without
``Cache-Control`` a browser may cache it heuristically and keep asking for assets an
upgrade removed). The pages may not be framed by another site (clickjacking).
"""

from __future__ import annotations

import os

from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

ASSETS_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


class UiFiles(StaticFiles):
    """``StaticFiles`` for the UI: long-lived hashed assets, revalidated pages."""

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
        return response
