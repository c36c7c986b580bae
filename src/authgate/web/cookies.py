"""Cookie transport (API.md §3): every rule of the browser's way in, in one place.

- which cookies: ``__Host-access_token``, ``__Host-csrf_token`` and
  ``__Secure-refresh_token`` with Secure cookies (the browser then refuses any such
  cookie set over plain http or by a sibling subdomain), the plain names when
  ``AUTHGATE_COOKIE_SECURE=false``; reading, setting and clearing use the same ones;
- cookies or body: a login or a body refresh answers in cookies under ``cookie``,
  or under ``both`` with ``?transport=cookie``; a refresh that came in the refresh
  cookie always answers in cookies (a page's script must never trade the HttpOnly
  cookies for tokens it can read); under ``bearer`` no cookie is read or set;
- cross-site refusal: a request answered in cookies (login, refresh) and every
  cookie-authenticated unsafe request must not come from another site (``Origin``
  neither the request's own nor ``AUTHGATE_PUBLIC_URL``'s, ``Origin: null``, or
  ``Sec-Fetch-Site: cross-site``);
- CSRF: a cookie-authenticated unsafe request echoes the CSRF cookie in
  ``X-CSRF-Token``, and the value must be the current pair's
  (:mod:`authgate.core.csrf`).

The routes and the ``current_user`` dependency ask :class:`CookieTransport` once per
request; every refusal is :class:`~authgate.core.errors.CsrfFailed` (403
``csrf_failed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.csrf import access_token_id, csrf_matches, csrf_token
from authgate.core.errors import CsrfFailed, RefreshInvalid
from authgate.core.models import TokenPair
from authgate.core.settings import Settings

CSRF_HEADER = "x-csrf-token"
REFRESH_PATH = "/auth"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Written as API.md spells it (Starlette's type admits only lower case, which
#: browsers accept too, but the contract says "SameSite=Strict").
SAME_SITE: Any = "Strict"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class CookieNames:
    """The names of the three cookies."""

    access: str
    refresh: str
    csrf: str


#: With Secure cookies: ``__Host-`` (Secure, Path=/, no Domain: only this host can
#: set it) and ``__Secure-`` (Secure: never set over plain http) for the refresh
#: cookie, whose Path is /auth (RFC 6265bis §4.1.3).
PREFIXED = CookieNames("__Host-access_token", "__Secure-refresh_token", "__Host-csrf_token")
#: ``AUTHGATE_COOKIE_SECURE=false`` (plain-http development): browsers refuse the
#: prefixes without Secure.
PLAIN = CookieNames("access_token", "refresh_token", "csrf_token")


def cookie_names(secure: bool) -> CookieNames:
    """The cookie names for ``AUTHGATE_COOKIE_SECURE``."""
    return PREFIXED if secure else PLAIN


def origin_of(scheme: str, netloc: str) -> str | None:
    """The serialised origin (RFC 6454 §6.2) of ``scheme://netloc``: lower case,
    default port dropped; None if it is not an http(s) origin."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in _DEFAULT_PORTS or not host or parts.path or parts.username is not None:
        return None
    host = f"[{host}]" if ":" in host else host
    port_part = "" if port in (None, _DEFAULT_PORTS[parts.scheme]) else f":{port}"
    return f"{parts.scheme}://{host}{port_part}".lower()


def parse_origin(value: str) -> str | None:
    """The origin an ``Origin`` header names (None for ``null`` or anything else)."""
    scheme, separator, netloc = value.strip().partition("://")
    return origin_of(scheme.lower(), netloc) if separator else None


@dataclass(frozen=True)
class PresentedRefresh:
    """The refresh token a request presents, and whether the answer is in cookies."""

    token: str
    in_cookies: bool


class CookieTransport:
    """API.md §3 "Cookie transport" for one configuration."""

    def __init__(self, settings: Settings) -> None:
        self.mode = settings.token_transport
        self.secure = settings.cookie_secure
        self.names = cookie_names(settings.cookie_secure)
        self.public_origin = settings.public_origin

    # -- reading ---------------------------------------------------------------------

    def access_cookie(self, request: Request) -> str | None:
        """The access cookie's token (None under ``bearer``: cookies are not read)."""
        if self.mode == "bearer":
            return None
        return request.cookies.get(self.names.access) or None

    def refresh(self, request: Request, body_token: str | None) -> PresentedRefresh:
        """The refresh token of ``POST /auth/refresh`` (the body's, else the cookie's)
        and how to answer.

        Raises:
            RefreshInvalid: neither carries one.
            CsrfFailed: a cookie refresh from another site or without the CSRF echo;
                a body refresh answered in cookies from another site.
        """
        if body_token is not None:
            in_cookies = self.answers_in_cookies(request)
            if in_cookies:
                self.check_same_site(request)
            return PresentedRefresh(body_token, in_cookies)
        if self.mode != "bearer" and (cookie := request.cookies.get(self.names.refresh)):
            self.check_unsafe(request, access_token_id(cookie))
            return PresentedRefresh(cookie, in_cookies=True)
        raise RefreshInvalid("no refresh token")

    def login(self, request: Request) -> bool:
        """Whether a login is answered in cookies; such a login must come from this
        site (login CSRF would sign the victim's browser in to the attacker's account).

        Raises:
            CsrfFailed: a cookie login from another site.
        """
        in_cookies = self.answers_in_cookies(request)
        if in_cookies:
            self.check_same_site(request)
        return in_cookies

    def answers_in_cookies(self, request: Request) -> bool:
        """For a login or a body refresh: ``cookie`` always, ``bearer`` never, ``both``
        when the request asks with ``?transport=cookie``."""
        if self.mode != "both":
            return self.mode == "cookie"
        return request.query_params.get("transport") == "cookie"

    # -- checks ----------------------------------------------------------------------

    def check_unsafe(self, request: Request, token_id: str) -> None:
        """The checks of a cookie-authenticated request; only unsafe methods have any.

        ``token_id`` is the ``jti`` of the pair the request is authenticated with; the
        expected CSRF value (:func:`authgate.core.csrf.csrf_token`) is derived from it.

        Raises:
            CsrfFailed: from another site; or X-CSRF-Token does not equal the CSRF
                cookie, or is not the current pair's value.
        """
        if request.method not in UNSAFE_METHODS:
            return
        self.check_same_site(request)
        cookie = request.cookies.get(self.names.csrf, "")
        header = request.headers.get(CSRF_HEADER, "")
        if not cookie or not header or not csrf_matches(header, cookie):
            raise CsrfFailed("X-CSRF-Token does not match the CSRF cookie")
        if not csrf_matches(csrf_token(token_id), header):
            raise CsrfFailed("X-CSRF-Token is not the current session's")

    def check_same_site(self, request: Request) -> None:
        """Refuse a request a browser sent from another site.

        Raises:
            CsrfFailed: ``Sec-Fetch-Site: cross-site``, or an ``Origin`` (``null``
                included) that is neither the request's own (its scheme and ``Host``)
                nor ``AUTHGATE_PUBLIC_URL``'s. Without either header (curl, scripts,
                servers) nothing is refused.
        """
        if request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
            raise CsrfFailed("Sec-Fetch-Site: cross-site")
        origins = request.headers.getlist("origin")
        if not origins:
            return
        own = origin_of(request.url.scheme, request.headers.get("host") or request.url.netloc)
        trusted = {self.public_origin} if own is None else {self.public_origin, own}
        for value in origins:
            if parse_origin(value) not in trusted:  # None (``null``, garbage) never is
                raise CsrfFailed("the request comes from another origin")

    # -- writing ---------------------------------------------------------------------

    def set_cookies(self, response: Response, pair: TokenPair) -> None:
        """Set the access, refresh and (renewed) CSRF cookies of a login or refresh."""
        for name, value, max_age, path, httponly in (
            (self.names.access, pair.access_token, pair.expires_in, "/", True),
            (self.names.refresh, pair.refresh_token, pair.refresh_expires_in, REFRESH_PATH, True),
            # Readable by scripts (not HttpOnly): the page echoes it in X-CSRF-Token.
            (self.names.csrf, pair.csrf_token, pair.refresh_expires_in, "/", False),
        ):
            response.set_cookie(
                name,
                value,
                max_age=max_age,
                path=path,
                secure=self.secure,
                httponly=httponly,
                samesite=SAME_SITE,
            )

    def clear_cookies(self, response: Response) -> None:
        """Expire all three cookies (logout)."""
        for name, path, httponly in (
            (self.names.access, "/", True),
            (self.names.refresh, REFRESH_PATH, True),
            (self.names.csrf, "/", False),
        ):
            response.set_cookie(
                name,
                "",
                max_age=0,
                expires=0,
                path=path,
                secure=self.secure,
                httponly=httponly,
                samesite=SAME_SITE,
            )
