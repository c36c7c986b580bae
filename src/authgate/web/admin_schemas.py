"""Answers of the activity and admin routes (API.md §3.3), for the OpenAPI schema."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, StrictStr

from authgate.web.schemas import PasskeyOut, RegisteredOut


class EventOut(BaseModel):
    id: int
    type: str
    at: datetime
    ip: str | None
    user_agent: str


class EventPage(BaseModel):
    events: list[EventOut]
    next_cursor: str | None


class AdminEventOut(EventOut):
    user_id: str | None
    actor_id: str | None
    detail: dict[str, str]


class AdminEventPage(BaseModel):
    events: list[AdminEventOut]
    next_cursor: str | None


class AdminUserOut(RegisteredOut):
    disabled: bool
    email_verified: bool
    roles: list[str]
    mfa: bool


class AdminUserPage(BaseModel):
    users: list[AdminUserOut]
    next_cursor: str | None


class AdminSessionOut(BaseModel):
    id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str
    amr: list[str]


class AdminFactorsOut(BaseModel):
    totp: bool
    passkeys: list[PasskeyOut]


class AdminUserDetailOut(AdminUserOut):
    disabled_at: datetime | None
    sessions: list[AdminSessionOut]
    factors: AdminFactorsOut


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    role: StrictStr
