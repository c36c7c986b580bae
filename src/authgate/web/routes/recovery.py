"""``/auth/password/forgot|reset``, ``/auth/email…`` and ``DELETE /auth/me``
(API.md §3.1): each route parses, calls the service, answers."""

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from authgate.core.models import Principal
from authgate.web.routes._io import json_response
from authgate.web.routes.auth import _errors, by_cookie, client_address, language, no_content
from authgate.web.schemas import (
    Accepted,
    EmailChange,
    EmailIn,
    EmailVerification,
    PasswordConfirmation,
    PasswordReset,
)

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate


def accepted() -> Response:
    return json_response({}, 202)


def recovery_routes(router: APIRouter, gate: "AuthGate") -> None:
    """Password reset, address verification and change, account deletion."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]

    @router.post(
        "/auth/password/forgot",
        status_code=202,
        response_model=Accepted,
        responses=_errors(422, 429),
        tags=["recovery"],
    )
    async def forgot_password(request: Request, body: EmailIn) -> Response:
        await gate.service.forgot_password(
            body.email, language=language(request), address=client_address(request)
        )
        return accepted()

    @router.post(
        "/auth/password/reset", status_code=204, responses=_errors(400, 422), tags=["recovery"]
    )
    async def reset_password(body: PasswordReset) -> Response:
        await gate.service.reset_password(body.token, body.new_password)
        return no_content(gate)

    @router.post(
        "/auth/email/verify", status_code=204, responses=_errors(400, 409, 422), tags=["recovery"]
    )
    async def verify_email(body: EmailVerification) -> Response:
        await gate.service.verify_email(body.token)
        return no_content(gate)

    @router.post(
        "/auth/email/verify/resend",
        status_code=202,
        response_model=Accepted,
        responses=_errors(401, 403, 429),
        tags=["recovery"],
    )
    async def resend_verification(request: Request, principal: CurrentPrincipal) -> Response:
        await gate.service.resend_verification(
            principal, language=language(request), address=client_address(request)
        )
        return accepted()

    @router.post(
        "/auth/email",
        status_code=202,
        response_model=Accepted,
        responses=_errors(401, 403, 409, 422, 429),
        tags=["recovery"],
    )
    async def change_email(
        request: Request, body: EmailChange, principal: CurrentPrincipal
    ) -> Response:
        await gate.service.change_email(
            principal,
            body.new_email,
            body.password,
            language=language(request),
            address=client_address(request),
        )
        return accepted()

    @router.delete(
        "/auth/me", status_code=204, responses=_errors(401, 403, 422, 429), tags=["recovery"]
    )
    async def delete_account(
        request: Request, body: PasswordConfirmation, principal: CurrentPrincipal
    ) -> Response:
        await gate.service.delete_account(principal, body.password)
        return no_content(gate, clear_cookies=by_cookie(gate, request))
