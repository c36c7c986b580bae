"""Cookie transport (API.md §3): the three cookies and the CSRF check (double submit,
and the value must be the current pair's: :mod:`authgate.core.csrf`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.csrf import csrf_matches, csrf_token
from authgate.core.errors import CsrfFailed
from authgate.core.models import TokenPair

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "x-csrf-token"
REFRESH_PATH = "/auth"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Written as API.md spells it (Starlette's type admits only lower case, which
#: browsers accept too, but the contract says "SameSite=Strict").
SAME_SITE: Any = "Strict"


def set_token_cookies(response: Response, pair: TokenPair, *, secure: bool) -> None:
    """Set the access, refresh and (renewed) CSRF cookies of a login or refresh."""
    response.set_cookie(
        ACCESS_COOKIE,
        pair.access_token,
        max_age=pair.expires_in,
        path="/",
        secure=secure,
        httponly=True,
        samesite=SAME_SITE,
    )
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        max_age=pair.refresh_expires_in,
        path=REFRESH_PATH,
        secure=secure,
        httponly=True,
        samesite=SAME_SITE,
    )
    # Readable by scripts (not HttpOnly): the page echoes it in X-CSRF-Token.
    response.set_cookie(
        CSRF_COOKIE,
        pair.csrf_token,
        max_age=pair.refresh_expires_in,
        path="/",
        secure=secure,
        httponly=False,
        samesite=SAME_SITE,
    )


def clear_token_cookies(response: Response, *, secure: bool) -> None:
    """Expire all three cookies (logout)."""
    for name, path, httponly in (
        (ACCESS_COOKIE, "/", True),
        (REFRESH_COOKIE, REFRESH_PATH, True),
        (CSRF_COOKIE, "/", False),
    ):
        response.set_cookie(
            name,
            "",
            max_age=0,
            expires=0,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=SAME_SITE,
        )


def check_csrf(request: Request, token_id: str) -> None:
    """CSRF check for a cookie-authenticated request with an unsafe method.

    ``token_id`` is the ``jti`` of the pair the request is authenticated with; the
    expected value (:func:`authgate.core.csrf.csrf_token`) is derived from it only
    for an unsafe method.

    Raises:
        CsrfFailed: the X-CSRF-Token header does not equal the csrf_token cookie, or
            is not the current pair's value.
    """
    if request.method not in UNSAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not header or not csrf_matches(header, cookie):
        raise CsrfFailed("X-CSRF-Token does not match the csrf_token cookie")
    if not csrf_matches(csrf_token(token_id), header):
        raise CsrfFailed("X-CSRF-Token is not the current session's")
