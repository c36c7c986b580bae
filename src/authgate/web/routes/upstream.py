"""``/auth/oidc/*`` and ``/auth/identities``: signing in through other providers
(API.md §3.4).

``start`` keeps the flow's state, nonce and PKCE verifier in a short-lived HttpOnly
cookie of this browser (``SameSite=Lax``, so that it comes back with the provider's
top-level redirect); ``callback`` requires the ``state`` it returns to equal the
cookie's (login CSRF: RFC 6749 §10.12), exchanges the code, and signs the user in
with cookies, then sends them to the web UI. Failures go to the UI's sign-in page
with ``oidc_error`` (never a 500, never an error page of the provider's words).
"""

import base64
import hmac
import json
import logging
import secrets
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from authgate.core.errors import AccountDisabled, AuthError, EmailTaken, MfaRequired, NotFound
from authgate.core.models import Principal
from authgate.core.upstream_settings import UpstreamProvider
from authgate.upstream import UpstreamFailed
from authgate.web.routes._io import NO_STORE, json_response
from authgate.web.routes.auth import _errors, no_content

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate

log = logging.getLogger("authgate.upstream")

FLOW_SECONDS = 600
_TAGS: list[str | Any] = ["openid"]
_REDIRECT: dict[int | str, dict[str, Any]] = {302: {"description": "to the provider or the UI"}}


def flow_cookie_name(secure: bool) -> str:
    return "__Host-oidc_flow" if secure else "oidc_flow"


def _encode(flow: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(flow).encode()).decode().rstrip("=")


def _decode(value: str) -> dict[str, str] | None:
    try:
        flow = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError):
        return None
    fields = ("provider", "state", "nonce", "verifier")
    if not isinstance(flow, dict) or not all(isinstance(flow.get(f), str) for f in fields):
        return None
    return flow


def to_sign_in(**params: str) -> RedirectResponse:
    """To the web UI's sign-in page, with what it should show (in the fragment)."""
    return RedirectResponse(f"/#/signin?{urlencode(params)}", 302, headers=NO_STORE)


def upstream_routes(router: APIRouter, gate: "AuthGate") -> None:
    """The providers, their start and callback, and the caller's identities."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]
    cookie = flow_cookie_name(gate.settings.cookie_secure)

    def provider_of(name: str) -> UpstreamProvider:
        provider = gate.settings.oidc_providers.get(name)
        if provider is None:
            raise NotFound("no such provider")
        return provider

    def redirect_uri(name: str) -> str:
        return f"{gate.settings.public_url}/auth/oidc/{name}/callback"

    @router.get("/auth/oidc/providers", tags=_TAGS)
    async def providers() -> Response:
        listed = [
            {"name": p.name, "display_name": p.display_name}
            for p in gate.settings.oidc_providers.values()
        ]
        return json_response(listed)

    @router.get("/auth/oidc/{provider}/start", tags=_TAGS, responses={**_REDIRECT, **_errors(404)})
    async def start(provider: str) -> Response:
        chosen = provider_of(provider)
        flow = {
            "provider": chosen.name,
            "state": secrets.token_urlsafe(32),
            "nonce": secrets.token_urlsafe(32),
            "verifier": secrets.token_urlsafe(48),
        }
        try:
            url = await gate.runtime.upstream.authorization_url(
                chosen,
                redirect_uri=redirect_uri(chosen.name),
                state=flow["state"],
                nonce=flow["nonce"],
                verifier=flow["verifier"],
                now=gate.service.clock(),
            )
        except UpstreamFailed as exc:
            log.warning("sign-in through %s could not start: %s", chosen.name, exc)
            return to_sign_in(oidc_error="unavailable")
        response = RedirectResponse(url, 302, headers=NO_STORE)
        response.set_cookie(
            cookie,
            _encode(flow),
            max_age=FLOW_SECONDS,
            path="/",
            secure=gate.settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return response

    @router.get(
        "/auth/oidc/{provider}/callback", tags=_TAGS, responses={**_REDIRECT, **_errors(404)}
    )
    async def callback(request: Request, provider: str) -> Response:
        chosen = provider_of(provider)
        response = await _finish(request, chosen)
        response.delete_cookie(cookie, path="/", secure=gate.settings.cookie_secure)
        return response

    async def _finish(request: Request, chosen: UpstreamProvider) -> Response:
        flow = _decode(request.cookies.get(cookie, ""))
        state, code = request.query_params.get("state", ""), request.query_params.get("code")
        if flow is None or flow["provider"] != chosen.name:
            return to_sign_in(oidc_error="expired")
        if not hmac.compare_digest(flow["state"].encode(), state.encode()):
            return to_sign_in(oidc_error="expired")
        if not code or "error" in request.query_params:
            return to_sign_in(oidc_error="denied")
        try:
            identity = await gate.runtime.upstream.identity(
                chosen,
                code=code,
                redirect_uri=redirect_uri(chosen.name),
                verifier=flow["verifier"],
                nonce=flow["nonce"],
                now=gate.service.clock(),
            )
            pair = await gate.runtime.federation.sign_in(
                identity, user_agent=request.headers.get("user-agent", "")
            )
        except UpstreamFailed as exc:
            log.warning("sign-in through %s failed: %s", chosen.name, exc)
            return to_sign_in(oidc_error="failed")
        except MfaRequired as challenge:
            extra = challenge.extra
            methods = extra["methods"] if isinstance(extra["methods"], list) else []
            return to_sign_in(
                mfa_token=str(extra["mfa_token"]),
                methods=",".join(map(str, methods)),
                expires_in=str(extra["expires_in"]),
            )
        except (EmailTaken, AccountDisabled) as exc:
            return to_sign_in(oidc_error=exc.code)
        except AuthError as exc:
            log.warning("sign-in through %s refused: %s", chosen.name, exc.reason or exc.code)
            return to_sign_in(oidc_error="failed")
        response = RedirectResponse("/", 302, headers=NO_STORE)
        gate.cookies.set_cookies(response, pair)
        return response

    @router.get("/auth/identities", tags=_TAGS, responses=_errors(401))
    async def identities(principal: CurrentPrincipal) -> Response:
        linked = await gate.runtime.federation.identities(principal)
        names = gate.settings.oidc_providers
        return json_response(
            [
                {
                    "provider": i.provider,
                    "display_name": names[i.provider].display_name
                    if i.provider in names
                    else i.provider,
                    "email": i.email,
                    "created_at": i.created_at,
                }
                for i in linked
            ]
        )

    @router.delete(
        "/auth/identities/{provider}",
        status_code=204,
        responses=_errors(401, 403, 404),
        tags=_TAGS,
    )
    async def unlink(provider: str, principal: CurrentPrincipal) -> Response:
        await gate.runtime.federation.unlink(principal, provider)
        return no_content(gate)
