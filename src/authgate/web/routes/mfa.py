"""``/auth/login/mfa`` and ``/auth/mfa/…`` (API.md §3.2): each route parses, calls
the service, answers."""

import io
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from authgate.core.models import Principal
from authgate.web.routes._io import NO_STORE, json_response
from authgate.web.routes.auth import _errors, no_content, token_response
from authgate.web.schemas import MfaCode, MfaLogin, RecoveryCodesOut, TokenOut, TotpSetupOut

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate


def qr_svg(uri: str) -> str:
    """The ``otpauth://`` URI as an SVG QR code (a complete document). segno is
    imported by the first enrolment, not at start-up (a process that never enrols
    does not carry it)."""
    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False)
    return out.getvalue().decode()


def mfa_routes(router: APIRouter, gate: "AuthGate") -> None:
    """The second sign-in step and the authenticator app's set-up."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]

    @router.post(
        "/auth/login/mfa",
        response_model=TokenOut,
        responses=_errors(401, 403, 422, 429),
        tags=["mfa"],
    )
    async def login_mfa(request: Request, body: MfaLogin) -> Response:
        in_cookies = gate.cookies.login(request)
        pair = await gate.service.login_mfa(
            body.mfa_token, body.code, user_agent=request.headers.get("user-agent", "")
        )
        return token_response(gate, pair, in_cookies)

    @router.post(
        "/auth/mfa/totp",
        response_model=TotpSetupOut,
        responses=_errors(401, 403, 409),
        tags=["mfa"],
    )
    async def enroll_totp(principal: CurrentPrincipal) -> Response:
        secret, uri = await gate.service.enroll_totp(principal)
        body = {"secret": secret, "otpauth_uri": uri, "qr_svg": qr_svg(uri)}
        return json_response(body, headers=NO_STORE)

    @router.post(
        "/auth/mfa/totp/confirm",
        response_model=RecoveryCodesOut,
        responses=_errors(401, 403, 422),
        tags=["mfa"],
    )
    async def confirm_totp(principal: CurrentPrincipal, body: MfaCode) -> Response:
        codes = await gate.service.confirm_totp(principal, body.code)
        return json_response({"recovery_codes": codes}, headers=NO_STORE)

    @router.delete("/auth/mfa/totp", status_code=204, responses=_errors(401, 403), tags=["mfa"])
    async def disable_totp(principal: CurrentPrincipal) -> Response:
        await gate.service.disable_totp(principal)
        return no_content(gate)

    @router.post(
        "/auth/mfa/recovery-codes",
        response_model=RecoveryCodesOut,
        responses=_errors(401, 403, 409),
        tags=["mfa"],
    )
    async def regenerate_codes(principal: CurrentPrincipal) -> Response:
        codes = await gate.service.regenerate_recovery_codes(principal)
        return json_response({"recovery_codes": codes}, headers=NO_STORE)
