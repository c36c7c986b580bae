"""Request and response bodies (pydantic). Strict types: no silent coercion."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator

from authgate.core.emails import MAX_EMAIL_CHARS
from authgate.core.passwords import MAX_LENGTH, is_encodable

MAX_TITLE = 500

Password = Annotated[StrictStr, Field(max_length=MAX_LENGTH)]
EmailField = Annotated[StrictStr, Field(max_length=MAX_EMAIL_CHARS)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Credentials(_In):
    email: EmailField
    password: Password


class FormCredentials(_In):
    """The OAuth2 password flow's form fields (RFC 6749 §4.3.2)."""

    username: EmailField
    password: Password


class RefreshIn(_In):
    refresh_token: Annotated[StrictStr | None, Field(max_length=1024)] = None


class PasswordChange(_In):
    current_password: Password
    new_password: Password


class EmailIn(_In):
    email: EmailField


TokenField = Annotated[StrictStr, Field(min_length=1, max_length=256)]


class PasswordReset(_In):
    token: TokenField
    new_password: Password


class EmailVerification(_In):
    token: TokenField


class EmailChange(_In):
    new_email: EmailField
    password: Password


class PasswordConfirmation(_In):
    password: Password


class MfaLogin(_In):
    mfa_token: TokenField
    code: Annotated[StrictStr, Field(min_length=1, max_length=64)]


class MfaCode(_In):
    code: Annotated[StrictStr, Field(min_length=1, max_length=64)]


class TotpSetupOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class MfaState(BaseModel):
    totp: bool
    passkeys: int


class PasskeyRegistration(_In):
    #: The browser's ``PublicKeyCredential.toJSON()`` (checked by py_webauthn).
    credential: dict[str, Any]
    name: Annotated[StrictStr | None, Field(max_length=100)] = None


class PasskeyName(_In):
    name: Annotated[StrictStr, Field(min_length=1, max_length=100)]


class PasskeyLoginOptions(_In):
    email: EmailField | None = None
    mfa_token: TokenField | None = None


class PasskeyLogin(_In):
    flow: TokenField
    credential: dict[str, Any]


class PasskeyOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


class Accepted(BaseModel):
    """202: the request is taken; what follows goes by mail."""


def _clean_title(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("title must not be empty")
    if not is_encodable(value) or "\x00" in value:
        raise ValueError("title must be valid text")
    return value


class PlanIn(_In):
    title: Annotated[StrictStr, Field(max_length=MAX_TITLE)]
    done: StrictBool = False

    _title = field_validator("title")(_clean_title)


class PlanPatch(_In):
    title: Annotated[StrictStr | None, Field(max_length=MAX_TITLE)] = None
    done: StrictBool | None = None

    _title = field_validator("title")(_clean_title)


class RegisteredOut(BaseModel):
    id: str
    email: str
    created_at: datetime


class UserOut(RegisteredOut):
    email_verified: bool
    mfa: MfaState


class TokenOut(BaseModel):
    access_token: str | None = None
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str | None = None


class SessionOut(BaseModel):
    id: str
    created_at: datetime
    last_used_at: datetime
    user_agent: str
    current: bool


class PlanOut(BaseModel):
    id: int
    title: str
    done: bool
    created_at: datetime


class ErrorOut(BaseModel):
    detail: str | list[dict[str, object]]
    code: str
