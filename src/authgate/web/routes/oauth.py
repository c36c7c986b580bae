"""The OpenID provider's endpoints (API.md §3.4): discovery, ``/oauth/*``.

Errors here are OAuth 2.0's (``{"error", "error_description"}``, RFC 6749 §5.2,
RFC 6750 §3.1), not the contract's ``{detail, code}``: each route turns the
refusals it can meet into them (:func:`oauth_error`). An authorization request
with an unknown client or redirect URI gets a plain 400 page and is never
redirected (RFC 6749 §4.1.2.1); the user's sign-in and consent are the web UI's
pages (``/#/authorize``, ``/#/consent``), which come back here.
"""

import base64
import binascii
import html
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote_plus, urlencode

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import HTMLResponse, RedirectResponse, Response

from authgate.core.errors import AuthError, ServiceUnavailable, TokenError
from authgate.core.models import Principal
from authgate.core.oidc import (
    AuthorizationRequest,
    OAuthError,
    check_authorization,
    client_id_of,
    is_client_id,
    state_of,
)
from authgate.core.oidc_metadata import error_redirect, with_params
from authgate.web.deps import MAX_TOKEN_CHARS, bearer_token
from authgate.web.routes._io import NO_STORE, content_type, json_response
from authgate.web.ui import PAGE_HEADERS

if TYPE_CHECKING:
    from authgate.core.oidc_provider import OidcProvider
    from authgate.web.gate import AuthGate

log = logging.getLogger("authgate.oidc")

Params = dict[str, list[str]]
_FORM = "application/x-www-form-urlencoded"
_TAGS: list[str | Any] = ["openid"]


class OAuthErrorOut(BaseModel):
    """RFC 6749 §5.2."""

    error: str
    error_description: str


def _oauth_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": OAuthErrorOut} for status in statuses}


_REDIRECT: dict[int | str, dict[str, Any]] = {302: {"description": "to the client or the UI"}}
_PLAIN_PAGE: dict[int | str, dict[str, Any]] = {
    400: {"description": "a plain page, never a redirect", "content": {"text/html": {}}}
}


def oauth_error(error: OAuthError) -> Response:
    """RFC 6749 §5.2 (and RFC 6750 §3.1 for ``invalid_token``)."""
    headers = dict(NO_STORE)
    if error.error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="authgate"'
    elif error.error == "invalid_token":
        headers["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description="{error.description}"'
        )
    body = {"error": error.error, "error_description": error.description}
    return json_response(body, error.status, headers=headers)


def from_auth_error(exc: AuthError) -> OAuthError:
    """An authgate refusal met on an OAuth path, in OAuth's words."""
    if isinstance(exc, TokenError):
        return OAuthError("invalid_token", "the access token is not valid", status=401)
    if isinstance(exc, ServiceUnavailable):
        return OAuthError("temporarily_unavailable", "try again shortly", status=503)
    return OAuthError("invalid_request", exc.code)


def bad_request_page(description: str) -> Response:
    """The plain page of an authorization request that cannot be sent back."""
    body = (
        "<!doctype html><html><head><meta charset=utf-8><title>Bad request</title></head>"
        f"<body><h1>Bad request</h1><p>{html.escape(description)}</p></body></html>"
    )
    return HTMLResponse(body, 400, headers={**PAGE_HEADERS, "Cache-Control": "no-store"})


def query_params(request: Request) -> Params:
    """The query as each name to its values (blank values kept: repeats count)."""
    params: Params = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    return params


async def form_params(request: Request) -> Params:
    """An ``application/x-www-form-urlencoded`` body (RFC 6749 §3.2).

    Raises:
        OAuthError: ``invalid_request``: another media type or not UTF-8.
    """
    if content_type(request) != _FORM:
        raise OAuthError("invalid_request", f"the body must be {_FORM}")
    try:
        text = (await request.body()).decode("utf-8")
        return parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the body cannot be read") from None


def client_credentials(request: Request, form: Params) -> tuple[str | None, str | None]:
    """The client id and secret, by ``client_secret_basic`` (RFC 6749 §2.3.1: each
    form-urlencoded) or ``client_secret_post``, or the id alone (a public client).

    Raises:
        OAuthError: ``invalid_request`` (two methods at once, repeats);
            ``invalid_client`` (a malformed Basic header).
    """
    ids, secrets = form.get("client_id", []), form.get("client_secret", [])
    if len(ids) > 1 or len(secrets) > 1:
        raise OAuthError("invalid_request", "client_id or client_secret is repeated")
    authorization = request.headers.get("authorization")
    if authorization is None:
        return (ids[0] if ids else None), (secrets[0] if secrets else None)
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or secrets:
        raise OAuthError("invalid_request", "use one client authentication method")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", status=401) from None
    name, colon, secret = decoded.partition(":")
    client_id = unquote_plus(name)
    if not colon or (ids and ids[0] != client_id):
        raise OAuthError("invalid_client", "malformed Basic credentials", status=401)
    return client_id, unquote_plus(secret)


def oauth_routes(router: APIRouter, gate: "AuthGate") -> None:
    """Discovery and the ``/oauth/*`` endpoints, bound to ``gate``."""

    def provider() -> "OidcProvider":
        return gate.runtime.oidc

    @router.get("/.well-known/openid-configuration", tags=_TAGS)
    async def discovery() -> Response:
        return json_response(
            provider().discovery(), headers={"Cache-Control": "public, max-age=300"}
        )

    @router.get(
        "/oauth/authorize", tags=_TAGS, response_model=None, responses={**_REDIRECT, **_PLAIN_PAGE}
    )
    async def authorize(request: Request) -> Response:
        params = query_params(request)
        try:
            checked = await _checked_request(params)
        except OAuthError as exc:
            return bad_request_page(exc.description)
        except _Refused as refused:
            return RedirectResponse(refused.location, 302)
        principal = _browser_principal(request)
        try:
            if principal is None:
                if "none" in checked.prompt:
                    raise OAuthError("login_required", "the user is not signed in")
                return _to_ui("authorize", request)
            if await provider().needs_consent(checked, principal.id):
                if "none" in checked.prompt:
                    raise OAuthError("consent_required", "the user has not consented")
                return _to_ui("consent", request)
            location = await provider().issue_code(checked, principal)
        except OAuthError as exc:
            location = error_redirect(checked, exc, provider().issuer)
        return RedirectResponse(location, 302, headers=NO_STORE)

    async def _checked_request(params: Params) -> AuthorizationRequest:
        """The checked request; raises OAuthError (no redirect) or _Refused."""
        client = await provider().store.client(client_id_of(params))
        try:
            return check_authorization(params, client)
        except OAuthError as exc:
            if not exc.redirect or client is None:
                raise
            uri = params["redirect_uri"][0]
            described = {"error": exc.error, "error_description": exc.description}
            raise _Refused(
                with_params(uri, {**described, "state": state_of(params), "iss": provider().issuer})
            ) from None

    def _browser_principal(request: Request) -> Principal | None:
        """The user signed in to authgate's pages in this browser (its cookie), if any."""
        token = gate.cookies.access_cookie(request)
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            return gate.service.authenticate(token)
        except AuthError:
            return None

    @router.post(
        "/oauth/token", tags=_TAGS, response_model=None, responses=_oauth_errors(400, 401, 503)
    )
    async def token(request: Request) -> Response:
        try:
            form = await form_params(request)
            client = await provider().authenticate_client(*client_credentials(request, form))
            answer = await provider().token(client, form)
        except OAuthError as exc:
            return oauth_error(exc)
        except AuthError as exc:
            return oauth_error(from_auth_error(exc))
        return json_response(answer, headers=NO_STORE)

    @router.post(
        "/oauth/revoke", tags=_TAGS, response_model=None, responses=_oauth_errors(400, 401, 503)
    )
    async def revoke(request: Request) -> Response:
        try:
            form = await form_params(request)
            client = await provider().authenticate_client(*client_credentials(request, form))
            values = form.get("token", [])
            if len(values) != 1:
                raise OAuthError("invalid_request", "one token is required")
            await provider().revoke(client, values[0])
        except OAuthError as exc:
            return oauth_error(exc)
        except AuthError as exc:
            return oauth_error(from_auth_error(exc))
        return Response(status_code=200, headers=NO_STORE)

    @router.get(
        "/oauth/userinfo", tags=_TAGS, response_model=None, responses=_oauth_errors(401, 503)
    )
    async def userinfo(request: Request) -> Response:
        try:
            authorization = request.headers.get("authorization")
            if authorization is None:
                raise OAuthError("invalid_token", "no access token", status=401)
            presented = bearer_token(authorization)
            if len(presented) > MAX_TOKEN_CHARS:
                raise OAuthError("invalid_token", "the access token is not valid", status=401)
            claims = await provider().userinfo(gate.service.authenticate(presented))
        except OAuthError as exc:
            return oauth_error(exc)
        except AuthError as exc:
            return oauth_error(from_auth_error(exc))
        return json_response(claims, headers=NO_STORE)

    @router.get(
        "/oauth/clients/{client_id}", tags=_TAGS, response_model=None, responses=_oauth_errors(404)
    )
    async def client_name(client_id: str) -> Response:
        """What the consent page shows: the client's name (never its secret)."""
        client = await provider().store.client(client_id) if is_client_id(client_id) else None
        if client is None:
            return oauth_error(OAuthError("invalid_request", "unknown client_id", status=404))
        body = {"client_id": client.id, "name": client.name, "first_party": client.first_party}
        return json_response(body)


class _Refused(Exception):
    """An authorization request refused with a redirect to ``location``."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def _to_ui(page: str, request: Request) -> Response:
    """To the web UI's page, carrying the authorization request (its query) along."""
    query = urlencode(list(request.query_params.multi_items()))
    return RedirectResponse(f"/#/{page}?{query}", 302, headers=NO_STORE)
