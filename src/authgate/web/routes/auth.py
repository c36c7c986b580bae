"""``/auth/*`` and ``/.well-known/jwks.json``: each route parses, calls, answers."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from authgate.core.i18n import negotiate
from authgate.core.models import Principal, Session, TokenPair, User
from authgate.web.routes._io import (
    NO_STORE,
    content_type,
    json_response,
    read_json,
    uuid_or_404,
    validate,
)
from authgate.web.schemas import (
    Credentials,
    ErrorOut,
    FormCredentials,
    PasswordChange,
    RefreshIn,
    RegisteredOut,
    SessionOut,
    TokenOut,
    UserOut,
)

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate

#: How long verifiers may cache the JWKS (RFC 9111 §5.2.2.1); they refetch sooner
#: when a token names a kid they do not have.
JWKS_MAX_AGE = 300
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": Credentials.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": FormCredentials.model_json_schema()},
        },
    }
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


def user_json(user: User, totp: bool, passkeys: int) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "created_at": user.created_at,
        "email_verified": user.email_verified,
        "mfa": {"totp": totp, "passkeys": passkeys},
    }


def session_json(session: Session, current: str | None) -> dict[str, Any]:
    return {
        "id": session.id,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "user_agent": session.user_agent,
        "current": session.id == current,
    }


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def language(request: Request) -> str:
    """The language of the request (for the mails it causes): ``ko`` or ``en``."""
    return negotiate(request.headers.get("accept-language"))


def token_response(gate: "AuthGate", pair: TokenPair, in_cookies: bool) -> Response:
    """The answer of a login or a refresh: the tokens in the body, or in cookies."""
    if not in_cookies:
        body = {
            "access_token": pair.access_token,
            "token_type": pair.token_type,
            "expires_in": pair.expires_in,
            "refresh_token": pair.refresh_token,
        }
        return json_response(body, headers=NO_STORE)
    response = json_response(
        {"token_type": pair.token_type, "expires_in": pair.expires_in}, headers=NO_STORE
    )
    gate.cookies.set_cookies(response, pair)
    return response


def by_cookie(gate: "AuthGate", request: Request) -> bool:
    """True if the request was authenticated by the access cookie: only then are the
    cookies its session's to clear (a bearer request may come from a page whose
    cookies belong to another session)."""
    return gate.current_user.presented_token(request)[1]


def no_content(gate: "AuthGate", clear_cookies: bool = False) -> Response:
    response = Response(status_code=204)
    if clear_cookies:
        gate.cookies.clear_cookies(response)
    return response


def auth_router(gate: "AuthGate") -> APIRouter:
    """The routes of API.md §3 for authentication, bound to ``gate``."""
    router = APIRouter()
    _credential_routes(router, gate)
    _session_routes(router, gate)

    @router.get("/.well-known/jwks.json", tags=["keys"])
    async def jwks() -> Response:
        return json_response(
            gate.runtime.jwks(), headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}
        )

    return router


def _credential_routes(router: APIRouter, gate: "AuthGate") -> None:
    """Register, log in, refresh, change the password."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]

    @router.post(
        "/auth/register",
        status_code=201,
        response_model=RegisteredOut,
        responses=_errors(409, 422, 429),
        tags=["auth"],
    )
    async def register(request: Request, body: Credentials) -> Response:
        user = await gate.service.register(
            body.email, body.password, address=client_address(request), language=language(request)
        )
        created = {"id": user.id, "email": user.email, "created_at": user.created_at}
        return json_response(created, 201)

    @router.post(
        "/auth/login",
        response_model=TokenOut,
        responses=_errors(401, 403, 422, 429),
        openapi_extra=_LOGIN_BODY,
        tags=["auth"],
    )
    async def login(request: Request) -> Response:
        in_cookies = gate.cookies.login(request)  # before the password is checked
        media_type = content_type(request)
        if media_type in _FORM_TYPES:
            form = await request.form()
            fields = validate(FormCredentials, dict(form))
            email, password = fields.username, fields.password
        else:
            credentials = validate(Credentials, await read_json(request))
            email, password = credentials.email, credentials.password
        pair = await gate.service.login(
            email,
            password,
            user_agent=request.headers.get("user-agent", ""),
            address=client_address(request),
        )
        return token_response(gate, pair, in_cookies)

    @router.post(
        "/auth/refresh", response_model=TokenOut, responses=_errors(401, 403, 422), tags=["auth"]
    )
    async def refresh(request: Request) -> Response:
        data = await read_json(request, optional=True)
        body_token = validate(RefreshIn, data).refresh_token if data is not None else None
        presented = gate.cookies.refresh(request, body_token)
        pair = await gate.service.refresh(presented.token)
        return token_response(gate, pair, presented.in_cookies)

    @router.post(
        "/auth/password", status_code=204, responses=_errors(401, 403, 422, 429), tags=["auth"]
    )
    async def change_password(principal: CurrentPrincipal, body: PasswordChange) -> Response:
        await gate.service.change_password(principal, body.current_password, body.new_password)
        return no_content(gate)


def _session_routes(router: APIRouter, gate: "AuthGate") -> None:
    """Log out, log out everywhere, the caller's account and sessions."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]

    @router.post("/auth/logout", status_code=204, responses=_errors(401, 403), tags=["auth"])
    async def logout(request: Request, principal: CurrentPrincipal) -> Response:
        await gate.service.logout(principal)
        return no_content(gate, clear_cookies=by_cookie(gate, request))

    @router.post("/auth/logout-all", status_code=204, responses=_errors(401, 403), tags=["auth"])
    async def logout_all(request: Request, principal: CurrentPrincipal) -> Response:
        await gate.service.logout_all(principal)
        return no_content(gate, clear_cookies=by_cookie(gate, request))

    @router.get("/auth/me", response_model=UserOut, responses=_errors(401), tags=["auth"])
    async def me(principal: CurrentPrincipal) -> Response:
        user = await gate.service.me(principal)
        return json_response(user_json(user, *await gate.service.mfa_state(user.id)))

    @router.get(
        "/auth/sessions", response_model=list[SessionOut], responses=_errors(401), tags=["auth"]
    )
    async def sessions(principal: CurrentPrincipal) -> Response:
        listed = await gate.service.list_sessions(principal)
        return json_response([session_json(s, principal.session_id) for s in listed])

    @router.delete(
        "/auth/sessions/{session_id}",
        status_code=204,
        responses=_errors(401, 403, 404),
        tags=["auth"],
    )
    async def revoke_session(
        request: Request, session_id: str, principal: CurrentPrincipal
    ) -> Response:
        await gate.service.revoke_session(principal, uuid_or_404(session_id, "session"))
        return no_content(
            gate, clear_cookies=session_id == principal.session_id and by_cookie(gate, request)
        )
