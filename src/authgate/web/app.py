"""``create_app()``: the complete authgate server (auth API, /plans, health, web UI)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.responses import Response

from authgate.core.settings import Settings
from authgate.web.authenticate import AuthenticateProtected
from authgate.web.errors import install_error_handlers
from authgate.web.gate import AuthGate
from authgate.web.methods import ApiMethods
from authgate.web.metrics import CONTENT_TYPE, Metrics, RequestMetrics, metrics_route
from authgate.web.middleware import BodyLimit, EventOrigin
from authgate.web.routes._io import json_response
from authgate.web.routes.plans import plans_router
from authgate.web.schemas import ErrorOut
from authgate.web.ui import UiFiles

_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

STATIC = Path(__file__).resolve().parent / "static"


def _server_lifespan(
    gate: AuthGate, metrics: Metrics
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The gate's lifespan, plus one thing a whole server (not a library) may decide:
    once started, every object alive is moved out of the cyclic garbage collector's
    sight (``gc.freeze``). Those ~150k long-lived objects (FastAPI, pydantic,
    SQLAlchemy) would otherwise be traversed by every full collection, stalling
    requests for tens of milliseconds."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with gate.lifespan(app):
            metrics.attach()
            gc.collect()
            gc.freeze()
            yield

    return lifespan


def create_app(settings: Settings | None = None, *, gate: AuthGate | None = None) -> FastAPI:
    """Build the server. Pass ``gate`` to choose its parts (tests do).

    Raises:
        ConfigurationError: invalid settings (one line naming the variable).
    """
    gate = gate or AuthGate(settings)
    metrics = Metrics(gate)
    read_metrics = metrics_route(gate, metrics)
    app = FastAPI(
        title="authgate",
        summary="JWT authentication: register, login, refresh rotation, revocation, JWKS.",
        version="0.1.0",
        lifespan=_server_lifespan(gate, metrics),
        # FastAPI's OpenTelemetry hooks look up the global providers on every request
        # (~50 µs here, a sixth of a protected request) even when none is configured:
        # on only when asked for.
        telemetry=None if gate.settings.telemetry else _NO_TELEMETRY,
        # /plans/ is not /plans: an unknown path, 404 like any other (not a redirect).
        redirect_slashes=False,
    )
    app.state.gate = gate
    install_error_handlers(app)
    # The resource routes first: the router tries routes in order, and /plans is the
    # path every protected request takes.
    app.include_router(plans_router(gate))
    app.include_router(gate.router)

    @app.get(
        "/healthz",
        tags=["health"],
        responses={503: {"model": ErrorOut, "description": "The database is unreachable"}},
    )
    async def healthz() -> Response:
        await gate.runtime.check_health()
        return json_response({"status": "ok"})

    app.add_api_route(
        "/metrics",
        read_metrics,
        methods=["GET"],
        tags=["health"],
        response_class=Response,
        responses={
            200: {"content": {CONTENT_TYPE.split(";")[0]: {}}, "description": "Prometheus text"},
            403: {"model": ErrorOut, "description": "Not from AUTHGATE_METRICS_ALLOW"},
        },
    )

    if (STATIC / "index.html").is_file():
        # The UI answers what no route takes. Not a mount at "/": a mount takes every
        # path for every method, so an API path's wrong method would reach the files.
        app.router.default = UiFiles(directory=STATIC, html=True)
    app.add_middleware(BodyLimit, max_bytes=gate.settings.max_body_bytes)
    app.add_middleware(EventOrigin, flush=gate.flush_events)
    # A request without a valid token is refused before its body is read.
    app.add_middleware(AuthenticateProtected, gate=gate, routes_of=app)
    # Outermost: HEAD becomes GET before authentication (and so needs a token where
    # GET does); a method the path does not have is a 405, token or not.
    app.add_middleware(ApiMethods, routes_of=app)
    # Outermost of all: every answer is counted, 405s and 401s included.
    app.add_middleware(RequestMetrics, metrics=metrics, routes_of=app)
    return app
