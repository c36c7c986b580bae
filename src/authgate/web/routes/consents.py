"""``/auth/consents``: the apps a user let sign them in (API.md §3.4, "Connected
apps"), and the consent page's decision."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from authgate.core.errors import ValidationFailed
from authgate.core.models import Principal
from authgate.core.oidc import MAX_PARAM_CHARS, OAuthError, check_authorization, client_id_of
from authgate.core.oidc_metadata import error_redirect
from authgate.web.routes._io import NO_STORE, json_response
from authgate.web.routes.auth import _errors, no_content

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate


class ConsentDecision(BaseModel):
    """The consent page's answer to an authorization request (its query string)."""

    model_config = ConfigDict(extra="forbid")

    request: str = Field(max_length=8 * MAX_PARAM_CHARS)
    allow: bool


class ConsentOut(BaseModel):
    client_id: str
    name: str
    scope: str
    created_at: datetime


class DecisionOut(BaseModel):
    redirect_to: str


def consent_routes(router: APIRouter, gate: "AuthGate") -> None:
    """List, withdraw and give consents."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]

    @router.get(
        "/auth/consents",
        response_model=list[ConsentOut],
        responses=_errors(401),
        tags=["openid"],
    )
    async def consents(principal: CurrentPrincipal) -> Response:
        listed = await gate.runtime.oidc_clients.consents(principal)
        return json_response(
            [
                {
                    "client_id": c.client.id,
                    "name": c.client.name,
                    "scope": c.scope,
                    "created_at": c.created_at,
                }
                for c in listed
            ]
        )

    @router.delete(
        "/auth/consents/{client_id}",
        status_code=204,
        responses=_errors(401, 403, 404),
        tags=["openid"],
    )
    async def revoke_consent(client_id: str, principal: CurrentPrincipal) -> Response:
        await gate.runtime.oidc_clients.revoke_consent(principal, client_id)
        return no_content(gate)

    @router.post(
        "/auth/consents",
        response_model=DecisionOut,
        responses=_errors(401, 403, 422),
        tags=["openid"],
    )
    async def decide(body: ConsentDecision, principal: CurrentPrincipal) -> Response:
        provider = gate.runtime.oidc
        try:
            params = parse_qs(body.request, keep_blank_values=True, max_num_fields=64)
        except ValueError:
            raise ValidationFailed("not an authorization request: too many fields") from None
        try:
            client = await provider.store.client(client_id_of(params))
            checked = check_authorization(params, client)
        except OAuthError as exc:
            raise ValidationFailed(f"not an authorization request: {exc.description}") from None
        if body.allow:
            await provider.consent(checked, principal)
            location = f"/oauth/authorize?{body.request}"
        else:
            denied = OAuthError("access_denied", "the user declined")
            location = error_redirect(checked, denied, provider.issuer)
        return json_response({"redirect_to": location}, headers=NO_STORE)
