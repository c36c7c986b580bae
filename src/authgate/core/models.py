"""Domain values: frozen, slotted dataclasses with keyword-only fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A registered account. ``password_hash`` never leaves the service."""

    id: str
    email: str
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None
    email_verified_at: datetime | None = None
    #: Roles granted (``authgate user role``), carried in the ``roles`` claim.
    roles: tuple[str, ...] = ()

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """The caller of a protected route, taken from the verified access token."""

    id: str
    email: str
    session_id: str | None
    token_id: str
    issued_at: int
    expires_at: int
    email_verified: bool = False
    #: When the user last proved who they are (a sign-in; a refresh keeps it).
    auth_time: int = 0
    #: How (RFC 8176): ``pwd``, ``otp``, ``mfa``.
    amr: tuple[str, ...] = ("pwd",)
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A login: the family of refresh tokens issued from it (RFC 9700 §4.14)."""

    id: str
    user_id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str
    revoked_at: datetime | None = None
    #: The sign-in that opened the session: when (epoch seconds) and how (RFC 8176
    #: values); its access tokens carry both, a refresh keeps them.
    auth_time: int = 0
    amr: tuple[str, ...] = ("pwd",)


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSession:
    """A session to open with its first refresh token, and the credential state the
    login checked: ``credential`` is the password hash it verified; ``upgraded``, if
    set, replaces it (an old hash re-hashed), in the same transaction."""

    session: Session
    refresh_hash: str
    credential: str
    upgraded: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rotation:
    """One use of a refresh token: ``old_hash`` retired (its successor sealed in
    ``successor_box``), ``new_hash`` issued, the session renewed until ``expires_at``."""

    session_id: str
    old_hash: str
    new_hash: str
    successor_box: bytes
    now: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshRecord:
    """What the store knows of one presented refresh token (found by its hash)."""

    session: Session
    user: User
    expires_at: datetime
    rotated_at: datetime | None
    successor_box: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPair:
    """The answer to a login or a refresh (RFC 6749 §5.1), plus the session id."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    session_id: str
    csrf_token: str
    token_type: str = "bearer"


RevocationKind = Literal["jti", "sid", "user"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Revocation:
    """One denylist entry: a token (``jti``), a session (``sid``) or a user's cutoff.

    For ``user`` entries, tokens issued before ``cutoff`` (epoch seconds) are revoked.
    Every entry can be forgotten after ``expires_at``: no token it covers lives longer.
    """

    kind: RevocationKind
    subject: str
    expires_at: int
    cutoff: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The demo resource of the tutorial: a user's plan."""

    id: int
    user_id: str
    title: str
    done: bool
    created_at: datetime


LinkPurpose = Literal["verify", "reset", "change"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailToken:
    """A token sent in a mail's link (API.md §3.1), known to the store by its hash.

    ``verify`` confirms the account's address, ``change`` confirms ``new_email``,
    ``reset`` sets a new password. A token is live until ``used_at`` is set (used,
    superseded by a newer one of its purpose, or ended by a password change) or it
    expires.
    """

    token_hash: str
    user_id: str
    purpose: LinkPurpose
    created_at: datetime
    expires_at: datetime
    new_email: str | None = None
    used_at: datetime | None = None


MailKind = Literal["verify", "reset", "email_change", "email_changed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MailOrder:
    """A mail to send, rendered from its templates (``kind`` in ``language``) when it
    is sent; ``context`` fills them (the link, the new address)."""

    to: str
    kind: MailKind
    language: str
    context: dict[str, str]
    user_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetRequest:
    """A ``forgot`` request, queued as it came: the sender resolves it, so the request
    costs the same whether the address is registered or not."""

    email_key: str
    language: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedJob:
    """One claimed entry of the mail queue: a mail, or a reset request to resolve."""

    id: int
    attempts: int
    claim: str
    mail: MailOrder | None = None
    reset: ResetRequest | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TotpFactor:
    """A user's authenticator app: ``secret`` (base32) is pending until confirmed;
    ``last_step`` is the newest RFC 6238 time step accepted (a code is used once)."""

    user_id: str
    secret: str
    created_at: datetime
    confirmed_at: datetime | None = None
    last_step: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaChallenge:
    """A sign-in waiting for its second factor: the password checked out; ``mfa_token``
    (its hash here) finishes it. ``credential`` is the password hash that was checked."""

    token_hash: str
    user_id: str
    credential: str
    created_at: datetime
    expires_at: datetime
    failures: int = 0
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Passkey:
    """A WebAuthn credential of a user: ``credential_id`` base64url, the COSE public
    key, and the authenticator's signature counter as last seen."""

    id: str
    user_id: str
    credential_id: str
    public_key: bytes
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = None


FlowKind = Literal["register", "login", "mfa"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebauthnFlow:
    """A WebAuthn ceremony in flight: its challenge (single use, short-lived), and
    whose it is (``register``: a signed-in user's; ``mfa``: the second step of a
    password sign-in, ``mfa_token_hash``; ``login``: anyone's passkey)."""

    key_hash: str
    kind: FlowKind
    challenge: bytes
    created_at: datetime
    expires_at: datetime
    user_id: str | None = None
    mfa_token_hash: str | None = None


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_uuid(value: str) -> bool:
    """True for a lower-case UUID: the form of every id authgate makes."""
    return _UUID.match(value) is not None
