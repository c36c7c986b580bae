"""``/auth/events`` and ``/admin/…`` (API.md §3.3): each route parses, calls the
service, answers."""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from authgate.core.activity import Page
from authgate.core.admin import UserDetail
from authgate.core.admin_ports import DirectoryEntry
from authgate.core.events import Event
from authgate.core.models import Principal, Session, User
from authgate.web.admin_schemas import (
    AdminEventPage,
    AdminUserDetailOut,
    AdminUserOut,
    AdminUserPage,
    EventPage,
    RoleIn,
)
from authgate.web.routes._io import json_response
from authgate.web.routes.auth import _errors
from authgate.web.routes.passkeys import passkey_json

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate

_PRIVATE = {"Cache-Control": "private, no-store"}


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "at": event.at,
        "ip": event.ip,
        "user_agent": event.user_agent,
    }


def admin_event_json(event: Event) -> dict[str, Any]:
    return {
        **event_json(event),
        "user_id": event.user_id,
        "actor_id": event.actor_id,
        "detail": dict(event.detail),
    }


def admin_user_json(user: User, mfa: bool) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "created_at": user.created_at,
        "disabled": user.is_disabled,
        "email_verified": user.email_verified,
        "roles": list(user.roles),
        "mfa": mfa,
    }


def _session_json(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "expires_at": session.expires_at,
        "user_agent": session.user_agent,
        "amr": list(session.amr),
    }


def _detail_json(detail: UserDetail) -> dict[str, Any]:
    return {
        **admin_user_json(detail.user, detail.mfa),
        "disabled_at": detail.user.disabled_at,
        "sessions": [_session_json(s) for s in detail.sessions],
        "factors": {
            "totp": detail.totp,
            "passkeys": [passkey_json(p) for p in detail.passkeys],
        },
    }


def _users_page(found: tuple[Any, str | None]) -> Response:
    entries: list[DirectoryEntry] = list(found[0])
    users = [admin_user_json(entry.user, entry.mfa) for entry in entries]
    return json_response({"users": users, "next_cursor": found[1]}, headers=_PRIVATE)


def _events_page(page: Page, admin: bool) -> Response:
    render = admin_event_json if admin else event_json
    events = [render(event) for event in page[0]]
    return json_response({"events": events, "next_cursor": page[1]}, headers=_PRIVATE)


def activity_routes(router: APIRouter, gate: "AuthGate") -> None:
    """The caller's own security events."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]

    @router.get(
        "/auth/events", response_model=EventPage, responses=_errors(401, 422), tags=["activity"]
    )
    async def my_events(
        principal: CurrentPrincipal, limit: int | None = None, cursor: str | None = None
    ) -> Response:
        return _events_page(await gate.service.my_events(principal, cursor, limit), admin=False)


def admin_routes(router: APIRouter, gate: "AuthGate") -> None:
    """Users and events for callers with the role ``admin``."""
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]

    @router.get(
        "/admin/users",
        response_model=AdminUserPage,
        responses=_errors(401, 403, 422),
        tags=["admin"],
    )
    async def search_users(
        principal: CurrentPrincipal,
        q: str = "",
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Response:
        return _users_page(await gate.service.admin.search(principal, q, cursor, limit))

    @router.get(
        "/admin/users/{user_id}",
        response_model=AdminUserDetailOut,
        responses=_errors(401, 403, 404),
        tags=["admin"],
    )
    async def user_detail(user_id: str, principal: CurrentPrincipal) -> Response:
        detail = await gate.service.admin.user(principal, user_id)
        return json_response(_detail_json(detail), headers=_PRIVATE)

    @router.post(
        "/admin/users/{user_id}/disable",
        status_code=204,
        responses=_errors(401, 403, 404),
        tags=["admin"],
    )
    async def disable_user(user_id: str, principal: CurrentPrincipal) -> Response:
        await gate.service.admin.disable(principal, user_id)
        return Response(status_code=204)

    @router.post(
        "/admin/users/{user_id}/enable",
        status_code=204,
        responses=_errors(401, 403, 404),
        tags=["admin"],
    )
    async def enable_user(user_id: str, principal: CurrentPrincipal) -> Response:
        await gate.service.admin.enable(principal, user_id)
        return Response(status_code=204)

    @router.delete(
        "/admin/users/{user_id}/sessions",
        status_code=204,
        responses=_errors(401, 403, 404),
        tags=["admin"],
    )
    async def end_sessions(user_id: str, principal: CurrentPrincipal) -> Response:
        await gate.service.admin.end_sessions(principal, user_id)
        return Response(status_code=204)

    @router.delete(
        "/admin/users/{user_id}/mfa",
        status_code=204,
        responses=_errors(401, 403, 404),
        tags=["admin"],
    )
    async def remove_mfa(user_id: str, principal: CurrentPrincipal) -> Response:
        await gate.service.admin.remove_mfa(principal, user_id)
        return Response(status_code=204)

    @router.post(
        "/admin/users/{user_id}/roles",
        response_model=AdminUserOut,
        responses=_errors(401, 403, 404, 422),
        tags=["admin"],
    )
    async def add_role(user_id: str, body: RoleIn, principal: CurrentPrincipal) -> Response:
        user = await gate.service.admin.set_role(principal, user_id, body.role, granted=True)
        return json_response(admin_user_json(user, await _has_mfa(user.id)), headers=_PRIVATE)

    @router.delete(
        "/admin/users/{user_id}/roles/{role}",
        response_model=AdminUserOut,
        responses=_errors(401, 403, 404, 422),
        tags=["admin"],
    )
    async def remove_role(user_id: str, role: str, principal: CurrentPrincipal) -> Response:
        user = await gate.service.admin.set_role(principal, user_id, role, granted=False)
        return json_response(admin_user_json(user, await _has_mfa(user.id)), headers=_PRIVATE)

    async def _has_mfa(user_id: str) -> bool:
        totp, passkeys = await gate.service.mfa_state(user_id)
        return totp or passkeys > 0

    @router.get(
        "/admin/events",
        response_model=AdminEventPage,
        responses=_errors(401, 403, 422),
        tags=["admin"],
    )
    async def all_events(
        principal: CurrentPrincipal,
        user: str | None = None,
        type: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Response:
        page = await gate.service.admin.events(
            principal, user_id=user or None, type=type or None, cursor=cursor, limit=limit
        )
        return _events_page(page, admin=True)
