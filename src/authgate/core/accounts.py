"""Accounts: register, look up, disable, change the password."""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid

from authgate.core.context import ServiceContext, to_datetime
from authgate.core.emails import login_key, normalize_email
from authgate.core.errors import (
    InvalidCredentials,
    NotFound,
    TokenInvalid,
    TokenRevoked,
    ValidationFailed,
)
from authgate.core.models import Principal, User
from authgate.core.passwords import check_password_policy
from authgate.core.revoker import Revoker

log = logging.getLogger("authgate")

#: A role's name (``admin``, ``support``, ``reports-reader``).
ROLE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
MAX_ROLES = 32


class Accounts:
    """The account rules of API.md §3 (register, me, password) and ``user disable``."""

    def __init__(self, context: ServiceContext, revoker: Revoker) -> None:
        self.context = context
        self.revoker = revoker

    async def register(self, email: str, password: str, *, address: str | None = None) -> User:
        """Create an account.

        Raises:
            ValidationFailed: bad email or password.
            TooManyAttempts: too many registrations from this address.
            EmailTaken: the email is registered already (in any letter case).
        """
        display, key = normalize_email(email)
        check_password_policy(password)
        if address is not None:
            await self.context.throttle.count_registration(address)
        user = User(
            id=str(uuid.uuid4()),
            email=display,
            password_hash=await self.context.passwords.hash(password),
            created_at=to_datetime(self.context.clock()),
        )
        self.context.events.note("registered", user.id)
        await self.context.users.add(user, key)
        await self.context.events.flush()
        return user

    async def me(self, principal: Principal) -> User:
        """The caller's account.

        Raises:
            TokenInvalid: no such account (a token for an id never registered).
            TokenRevoked: the account is disabled (its tokens were revoked).
        """
        user = await self.context.users.by_id(principal.id)
        if user is None:
            raise TokenInvalid("no such user")
        if user.is_disabled:
            raise TokenRevoked("user disabled")
        return user

    async def by_email(self, email: str) -> User:
        """The account of ``email``.

        Raises:
            NotFound: no such account.
        """
        user = await self.context.users.by_email(login_key(email))
        if user is None:
            raise NotFound("no such user")
        return user

    async def disable(self, user: User, *, actor_id: str | None = None) -> User:
        """Disable an account and revoke all its sessions and tokens at once (on every
        instance). ``actor_id``: the admin who did it, for the event."""
        now = self.context.clock()
        self.context.events.note("account_disabled", user.id, actor_id=actor_id)
        await self.context.users.disable(user.id, to_datetime(now))
        await self.revoker.sessions_of(user.id, now)
        # Every token issued up to the end of this second; the user gets no new ones.
        await self.revoker.tokens_before(user.id, int(now) + 1, now)
        await self.context.events.flush()
        return dataclasses.replace(user, disabled_at=to_datetime(now))

    async def enable(self, user: User, *, actor_id: str | None = None) -> User:
        """Let a disabled account sign in again (its old tokens stay refused)."""
        self.context.events.note("account_enabled", user.id, actor_id=actor_id)
        await self.context.users.enable(user.id)
        await self.context.events.flush()
        return dataclasses.replace(user, disabled_at=None)

    async def set_role(
        self, user: User, role: str, *, granted: bool, actor_id: str | None = None
    ) -> User:
        """``authgate user role``: grant or take back a role. Taking one back
        refuses the user's access tokens issued until now (on every instance): the
        next refresh gives tokens without it, within seconds rather than at ``exp``.

        Raises:
            ValidationFailed: not a role name (``a-z``, digits, ``_``, ``-``; 1 to 32).
        """
        if not ROLE_NAME.fullmatch(role):
            raise ValidationFailed("a role is 1 to 32 of a-z, 0-9, _ and -, starting with a letter")
        roles = [r for r in user.roles if r != role] + ([role] if granted else [])
        if len(roles) > MAX_ROLES:
            raise ValidationFailed(f"at most {MAX_ROLES} roles")
        if granted != (role in user.roles):
            kind = "role_added" if granted else "role_removed"
            self.context.events.note(kind, user.id, actor_id=actor_id, role=role)
        await self.context.users.set_roles(user.id, sorted(roles))
        if not granted and role in user.roles:
            now = self.context.clock()
            await self.revoker.tokens_before(user.id, int(now) + 1, now)
        await self.context.events.flush()
        return dataclasses.replace(user, roles=tuple(sorted(roles)))

    async def change_password(
        self, principal: Principal, current_password: str, new_password: str
    ) -> None:
        """Change the caller's password; every other session is revoked.

        Raises:
            ValidationFailed: the new password breaks the policy.
            InvalidCredentials: the current password is wrong.
            TooManyAttempts: the account is locked out.
        """
        check_password_policy(new_password)
        user = await self.me(principal)
        await self.confirm_password(user, current_password)
        new_hash = await self.context.passwords.hash(new_password)
        self.context.events.note("password_changed", user.id)
        await self.context.users.set_password_hash(user.id, new_hash)
        await self.revoker.sessions_of(user.id, self.context.clock(), keep=principal.session_id)
        await self.context.events.flush()

    async def confirm_password(self, user: User, password: str) -> None:
        """Check a signed-in user's password before a sensitive change; a wrong one
        counts toward the account's lockout, like a failed login (a stolen access
        token must not become a way to guess the password).

        Raises:
            InvalidCredentials: the password is wrong.
            TooManyAttempts: the account is locked out.
        """
        throttle = self.context.throttle
        limits = throttle.login_limits(login_key(user.email), None)
        await throttle.reserve(limits)
        valid: bool | None = None
        try:
            valid, _ = await self.context.passwords.verify(password, user.password_hash)
        finally:
            await throttle.settle(limits, failed=valid is False)
        if not valid:
            raise InvalidCredentials("wrong current password")
