"""The one mapping from errors to HTTP answers: status, body, headers, language.

Every error answer is ``{"detail": ..., "code": ...}`` (API.md §3). The message
follows ``Accept-Language``; the ``WWW-Authenticate`` header follows RFC 6750 §3;
``Retry-After`` carries a lockout's wait. Nothing else in the web layer builds an
error response.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from authgate.core import errors
from authgate.core.i18n import field_message, message, negotiate

log = logging.getLogger("authgate.web")

STATUS: dict[type[errors.AuthError], int] = {
    errors.ValidationFailed: 422,
    errors.EmailTaken: 409,
    errors.InvalidCredentials: 401,
    errors.AccountDisabled: 403,
    errors.EmailUnverified: 403,
    errors.LinkInvalid: 400,
    errors.MfaRequired: 403,
    errors.MfaInvalid: 401,
    errors.MfaExists: 409,
    errors.MfaMissing: 409,
    errors.ReauthRequired: 403,
    errors.PasskeyNotRegistered: 400,
    errors.PasskeyInvalid: 401,
    errors.TooManyAttempts: 429,
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.CsrfFailed: 403,
    errors.ServiceUnavailable: 503,
    errors.RefreshError: 401,
    errors.TokenError: 401,
}

#: RFC 6750 §3: the description is ASCII and names no detail an attacker could use.
_TOKEN_DESCRIPTIONS = {
    "token_expired": "The access token expired",
    "token_revoked": "The access token was revoked",
    "token_invalid": "The access token is invalid",
}

#: The framework's own ``HTTPException``s (routing, static files, body and form
#: parsing) as (status, code) of the contract. API.md has no 400: a body FastAPI or
#: Starlette cannot parse (invalid UTF-8, JSON nested too deep, a form field over
#: the parser's limit, a broken multipart body) is a 422 like any other bad body.
#: ``StaticFiles`` says 401 for a file it may not read: to a client, that file is
#: not there (and a 401 would need a challenge, RFC 9110 §15.5.2).
_HTTP_ANSWERS: dict[int, tuple[int, str]] = {
    400: (422, "validation_error"),
    401: (404, "not_found"),
    404: (404, "not_found"),
    405: (405, "method_not_allowed"),
    413: (413, "payload_too_large"),
}


def status_of(exc: errors.AuthError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_response(
    status: int,
    code: str,
    request: Request | None,
    detail: Any = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """An error answer with the contract's body, in the request's language (``extra``:
    members beside ``detail`` and ``code``, as ``mfa_required`` has)."""
    if request is not None:  # for the request's metrics (authgate.web.metrics)
        request.scope["authgate.error"] = code
    if detail is None:
        language = negotiate(request.headers.get("accept-language") if request else None)
        detail = message(code, language)
    body = orjson.dumps({"detail": detail, "code": code, **(extra or {})})
    return Response(body, status, headers=headers, media_type="application/json")


def auth_error_response(request: Request | None, exc: errors.AuthError) -> Response:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if status == 401:
        description = _TOKEN_DESCRIPTIONS.get(exc.code)
        headers["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description="{description}"'
            if description
            else "Bearer"
        )
    if isinstance(exc, errors.TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    extra = exc.extra if isinstance(exc, errors.MfaRequired) else None
    if extra is not None:
        headers["Cache-Control"] = "no-store"  # it carries the mfa token
    # The precise reason goes to the log, at debug level: a flood of forged tokens
    # or an outage must not become a flood of log lines (the service and the
    # revocation list log what matters, once).
    log.debug("%s %s: %s", status, exc.code, exc.reason or "-")
    return error_response(status, exc.code, request, headers=headers, extra=extra)


async def _auth_error(request: Request, exc: Exception) -> Response:
    return auth_error_response(request, cast(errors.AuthError, exc))


async def _validation_error(request: Request, exc: Exception) -> Response:
    exc = cast(RequestValidationError, exc)
    language = negotiate(request.headers.get("accept-language"))
    # Only where and what: never echo the input (it may be a password, or text
    # that cannot even be encoded back).
    detail = [
        {
            "loc": list(error.get("loc", ())),
            "msg": field_message(
                str(error.get("type", "")),
                str(error.get("msg", "")),
                error.get("ctx"),
                language,
            ),
            "type": error.get("type"),
        }
        for error in exc.errors()
    ]
    return error_response(422, "validation_error", request, detail=detail)


def http_answer(status: int) -> tuple[int, str]:
    """The (status, code) answering a framework ``HTTPException`` of ``status``."""
    if status in _HTTP_ANSWERS:
        return _HTTP_ANSWERS[status]
    return status, "bad_request" if status < 500 else "internal_error"


async def _http_error(request: Request, exc: Exception) -> Response:
    exc = cast(StarletteHTTPException, exc)
    status, code = http_answer(exc.status_code)
    log.debug("%s %s: %s", exc.status_code, code, exc.detail)
    headers = dict(exc.headers or {}) if status == exc.status_code else {}
    return error_response(status, code, request, headers=headers or None)


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client went away while its body was read: not an error of the server, and
    nothing a log should keep (a client doing it on purpose would fill the log).
    ``BodyLimit`` drops such requests before any route under ``create_app``; this
    takes a route that reads the body itself. The answer goes nowhere (the server
    drops what is sent to a closed connection); it is the contract's 400."""
    log.debug("%s %s: the client left before its body was read", request.method, request.url.path)
    return error_response(400, "bad_request", request)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", request)


def ensure_auth_errors_handled(app: FastAPI) -> None:
    """Give an app that mounts the gate (library use) the ``AuthError`` mapping, so
    that ``Depends(gate.current_user)`` answers 401s, not 500s. Other errors keep the
    app's own format. Called from the gate's lifespan; a no-op under ``create_app``."""
    if errors.AuthError in app.exception_handlers:
        return
    app.add_exception_handler(errors.AuthError, _auth_error)
    # The middleware stack (which copies the handlers) was built before the lifespan
    # ran; let Starlette build it again, with this handler, on the next request.
    app.middleware_stack = None


def install_error_handlers(app: FastAPI) -> None:
    """Route every error the app can raise through this module."""
    app.add_exception_handler(errors.AuthError, _auth_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)
