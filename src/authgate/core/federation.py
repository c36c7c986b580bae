"""Signing in through other providers (API.md §3.4): who an external identity is here.

An identity (provider, subject) signs into the account it is linked to. A new one
links to the account with the same email only when the provider says the address is
verified; with no such account, a new account is made (without a usable password:
``password_hash`` is :data:`NO_PASSWORD`, which no password verifies; a password
reset gives it one). An account with a second factor still asks for it. A user may
unlink an identity unless it is their last way in.

The ID token checks (OpenID Connect Core §3.1.3.7) are :func:`check_id_token`; the
network is the caller's (:mod:`authgate.upstream`).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from authgate.core.context import to_datetime
from authgate.core.emails import is_storable, normalize_email
from authgate.core.errors import AccountDisabled, EmailTaken, Forbidden, NotFound, ValidationFailed
from authgate.core.models import Principal, TokenPair, User
from authgate.core.service import AuthService

#: The stored "password" of an account made by an external sign-in: no password
#: hash has this form, so no password verifies against it (pwdlib: unknown hash).
NO_PASSWORD = "!external"
#: RFC 8176 has no value for "another provider vouched": ours, documented.
AMR_FEDERATED = "fed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalIdentity:
    """Who the provider says signed in."""

    provider: str
    subject: str
    email: str
    email_verified: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkedIdentity:
    provider: str
    subject: str
    email: str
    created_at: datetime


class IdentityStore(Protocol):
    async def owner(self, provider: str, subject: str) -> str | None: ...

    async def link(self, identity: ExternalIdentity, user_id: str, now: datetime) -> None: ...

    async def identities(self, user_id: str) -> Sequence[LinkedIdentity]: ...

    async def unlink(self, user_id: str, provider: str) -> bool: ...


def check_id_token(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: float,
    leeway: int,
) -> str:
    """OpenID Connect Core §3.1.3.7 on a signature-checked ID token; its ``sub``.

    Raises:
        ValueError: the message says which check failed.
    """
    if claims.get("iss") != issuer:
        raise ValueError("iss is not the issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise ValueError("aud does not name this client")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise ValueError("several audiences and azp is not this client")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp + leeway <= now:
        raise ValueError("expired or no exp")
    if not isinstance(iat, int | float) or isinstance(iat, bool) or iat - leeway > now:
        raise ValueError("iat missing or in the future")
    if claims.get("nonce") != nonce:
        raise ValueError("nonce does not match")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise ValueError("no usable sub")
    return subject


class Federation:
    """Sign in (or up) with an external identity; list and unlink identities."""

    def __init__(self, service: AuthService, store: IdentityStore) -> None:
        self.service = service
        self.store = store

    async def sign_in(self, identity: ExternalIdentity, *, user_agent: str = "") -> TokenPair:
        """A session for the identity's account (linked, matched or new).

        Raises:
            EmailTaken: an account has the address and the provider did not verify it.
            AccountDisabled: the account is disabled.
            MfaRequired: the account has a second factor (the error carries the
                mfa token that ``POST /auth/login/mfa`` takes).
            ValidationFailed: the provider gave no usable email.
        """
        user = await self._account(identity)
        if user.is_disabled:
            raise AccountDisabled()
        mfa = self.service.mfa
        methods = await mfa.methods(user.id) if mfa is not None else []
        if methods and mfa is not None:
            raise await mfa.challenge(user, methods)
        return await self.service.logins.open_verified(
            user, user.password_hash, user_agent, (AMR_FEDERATED,)
        )

    async def _account(self, identity: ExternalIdentity) -> User:
        now = to_datetime(self.service.clock())
        owner = await self.store.owner(identity.provider, identity.subject)
        if owner is not None:
            user = await self.service.users.by_id(owner)
            if user is not None:
                return user
        if not is_storable(identity.email):
            raise ValidationFailed("the provider gave no usable email")
        display, key = normalize_email(identity.email)
        identity = dataclasses.replace(identity, email=display)
        user = await self.service.users.by_email(key)
        if user is None:
            user = await self._new_account(identity, now)
        elif not identity.email_verified:
            raise EmailTaken("the provider did not verify the address")
        await self.store.link(identity, user.id, now)
        return user

    async def _new_account(self, identity: ExternalIdentity, now: datetime) -> User:
        display, key = normalize_email(identity.email)
        user = User(
            id=str(uuid.uuid4()),
            email=display,
            password_hash=NO_PASSWORD,
            created_at=now,
            email_verified_at=now if identity.email_verified else None,
        )
        await self.service.users.add(user, key)
        return user

    async def identities(self, principal: Principal) -> Sequence[LinkedIdentity]:
        return await self.store.identities(principal.id)

    async def unlink(self, principal: Principal, provider: str) -> None:
        """Unlink the caller's identity at ``provider``.

        Raises:
            NotFound: no identity of the caller's there.
            Forbidden: it is the caller's last way in (no password, no passkey, no
                other identity).
        """
        linked = await self.store.identities(principal.id)
        if not any(identity.provider == provider for identity in linked):
            raise NotFound("no such identity")
        user = await self.service.users.by_id(principal.id)
        _, passkeys = await self.service.mfa_state(principal.id)
        has_password = user is not None and user.password_hash != NO_PASSWORD
        if not has_password and passkeys == 0 and len(linked) <= 1:
            raise Forbidden("the last way to sign in")
        if not await self.store.unlink(principal.id, provider):
            raise NotFound("no such identity")
