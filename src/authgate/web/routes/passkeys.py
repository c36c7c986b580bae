"""``/auth/passkeys/…`` (API.md §3.2): each route parses, calls the service, answers."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from authgate.core.models import Passkey, Principal
from authgate.web.routes._io import NO_STORE, json_response, uuid_or_404
from authgate.web.routes.auth import _errors, client_address, no_content, token_response
from authgate.web.schemas import (
    PasskeyLogin,
    PasskeyLoginOptions,
    PasskeyName,
    PasskeyOut,
    PasskeyRegistration,
    TokenOut,
)

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate


def passkey_json(passkey: Passkey) -> dict[str, Any]:
    return {
        "id": passkey.id,
        "name": passkey.name,
        "created_at": passkey.created_at,
        "last_used_at": passkey.last_used_at,
    }


def passkey_routes(router: APIRouter, gate: "AuthGate") -> None:
    """Register and manage passkeys; sign in with one."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]

    @router.post("/auth/passkeys/register/options", responses=_errors(401, 403), tags=["passkeys"])
    async def register_options(principal: CurrentPrincipal) -> Response:
        options = await gate.service.passkey_register_options(principal)
        return json_response(options, headers=NO_STORE)

    @router.post(
        "/auth/passkeys/register",
        status_code=201,
        response_model=PasskeyOut,
        responses=_errors(400, 401, 403, 422),
        tags=["passkeys"],
    )
    async def register(principal: CurrentPrincipal, body: PasskeyRegistration) -> Response:
        passkey = await gate.service.register_passkey(principal, body.credential, body.name)
        return json_response(passkey_json(passkey), 201)

    @router.get(
        "/auth/passkeys",
        response_model=list[PasskeyOut],
        responses=_errors(401),
        tags=["passkeys"],
    )
    async def list_passkeys(principal: CurrentPrincipal) -> Response:
        return json_response([passkey_json(p) for p in await gate.service.list_passkeys(principal)])

    @router.patch(
        "/auth/passkeys/{passkey}",
        response_model=PasskeyOut,
        responses=_errors(401, 403, 404, 422),
        tags=["passkeys"],
    )
    async def rename(passkey: str, body: PasskeyName, principal: CurrentPrincipal) -> Response:
        renamed = await gate.service.rename_passkey(
            principal, uuid_or_404(passkey, "passkey"), body.name
        )
        return json_response(passkey_json(renamed))

    @router.delete(
        "/auth/passkeys/{passkey}",
        status_code=204,
        responses=_errors(401, 403, 404),
        tags=["passkeys"],
    )
    async def delete(passkey: str, principal: CurrentPrincipal) -> Response:
        await gate.service.delete_passkey(principal, uuid_or_404(passkey, "passkey"))
        return no_content(gate)

    @router.post(
        "/auth/passkeys/login/options", responses=_errors(401, 422, 429), tags=["passkeys"]
    )
    async def login_options(request: Request, body: PasskeyLoginOptions) -> Response:
        options, flow = await gate.service.passkey_login_options(
            body.mfa_token, address=client_address(request)
        )
        return json_response({"options": options, "flow": flow}, headers=NO_STORE)

    @router.post(
        "/auth/passkeys/login",
        response_model=TokenOut,
        responses=_errors(401, 403, 422),
        tags=["passkeys"],
    )
    async def login(request: Request, body: PasskeyLogin) -> Response:
        in_cookies = gate.cookies.login(request)
        pair = await gate.service.passkey_login(
            body.flow, body.credential, user_agent=request.headers.get("user-agent", "")
        )
        return token_response(gate, pair, in_cookies)
