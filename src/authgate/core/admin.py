"""Administration (API.md §3.3): users with the role ``admin`` find accounts, see
them with their sessions and factors, disable and enable them, end their sessions
and remove their second factors. Every action is a security event naming the admin.

Who is an admin is read from the database on every call, not from the token's
``roles`` claim: an admin whose role was taken back, or who was disabled, is
refused at once, not when their access token expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from authgate.core.accounts import Accounts
from authgate.core.activity import Activity, Page, decode_cursor, encode_cursor, page_size
from authgate.core.admin_ports import DirectoryEntry, DirectoryQuery, UserDirectory
from authgate.core.context import ServiceContext, to_datetime
from authgate.core.emails import MAX_EMAIL_CHARS, login_key
from authgate.core.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from authgate.core.mfa import Mfa
from authgate.core.models import Passkey, Principal, Session, User, is_uuid
from authgate.core.policies import check_recent
from authgate.core.sessions import Sessions

ADMIN_ROLE = "admin"


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDetail:
    """One account as an admin sees it: its live sessions and its factors."""

    user: User
    sessions: Sequence[Session]
    totp: bool
    passkeys: Sequence[Passkey]

    @property
    def mfa(self) -> bool:
        return self.totp or bool(self.passkeys)


class Admin:
    """The admin API's rules, over the accounts, sessions and factors concerns."""

    def __init__(
        self,
        context: ServiceContext,
        accounts: Accounts,
        logins: Sessions,
        activity: Activity,
        mfa: Mfa | None,
        directory: UserDirectory | None,
    ) -> None:
        self.context = context
        self.accounts = accounts
        self.logins = logins
        self.activity = activity
        self.mfa = mfa
        self.directory = directory

    async def authorize(self, principal: Principal, *, acting: bool = False) -> User:
        """The caller, if it is an enabled account with the role ``admin`` now; one
        ``acting`` on an account must also have signed in recently (API.md §2,
        AUTHGATE_REAUTH_MAX_AGE), as for the other sensitive actions.

        Raises:
            Forbidden: not an admin (any more).
            ReauthRequired: ``acting``, and the sign-in is not recent.
        """
        admin = await self.context.users.by_id(principal.id)
        if admin is None or admin.is_disabled or ADMIN_ROLE not in admin.roles:
            raise Forbidden("this needs the admin role")
        if acting:
            settings = self.context.settings
            check_recent(principal, self.context.clock(), settings.reauth_max_age)
        return admin

    async def search(
        self, principal: Principal, q: str, cursor: str | None, limit: int | None
    ) -> tuple[Sequence[DirectoryEntry], str | None]:
        """Users whose email starts with ``q`` (any letter case; "" for all), in email
        order, a page at a time.

        Raises:
            Forbidden; ValidationFailed: a bad cursor, limit or query.
        """
        await self.authorize(principal)
        if self.directory is None:
            raise ServiceUnavailable("no user directory in this service")
        size = page_size(limit)
        prefix = q.strip().lower()
        if len(prefix) > MAX_EMAIL_CHARS or "\x00" in prefix:
            raise ValidationFailed("not an email or the start of one")
        query = DirectoryQuery(prefix=prefix, after=decode_cursor(cursor), limit=size + 1)
        found = list(await self.directory.search(query))
        if len(found) <= size:
            return found, None
        return found[:size], encode_cursor(found[size - 1].key)

    async def user(self, principal: Principal, user_id: str) -> UserDetail:
        """One account with its live sessions and factors.

        Raises:
            Forbidden; NotFound: no such account.
        """
        await self.authorize(principal)
        user = await self._target(user_id)
        sessions = await self.context.sessions.list_active(
            user.id, to_datetime(self.context.clock())
        )
        totp = False
        passkeys: tuple[Passkey, ...] = ()
        if self.mfa is not None:
            totp = await self.mfa.totp_enabled(user.id)
            if self.mfa.passkeys is not None:
                passkeys = tuple(await self.mfa.passkeys.list(user.id))
        return UserDetail(user=user, sessions=sessions, totp=totp, passkeys=passkeys)

    async def disable(self, principal: Principal, user_id: str) -> None:
        """Disable an account: every token and session of it is refused at once, on
        every instance. An admin cannot disable their own account.

        Raises:
            Forbidden; NotFound.
        """
        admin = await self.authorize(principal, acting=True)
        user = await self._target(user_id)
        if user.id == admin.id:
            raise Forbidden("an admin cannot disable their own account")
        if not user.is_disabled:
            await self.accounts.disable(user, actor_id=admin.id)

    async def enable(self, principal: Principal, user_id: str) -> None:
        """Let a disabled account sign in again.

        Raises:
            Forbidden; NotFound.
        """
        admin = await self.authorize(principal, acting=True)
        user = await self._target(user_id)
        if user.is_disabled:
            await self.accounts.enable(user, actor_id=admin.id)

    async def end_sessions(self, principal: Principal, user_id: str) -> None:
        """End every session of an account and refuse its access tokens.

        Raises:
            Forbidden; NotFound.
        """
        admin = await self.authorize(principal, acting=True)
        user = await self._target(user_id)
        await self.logins.end_all(user.id, "sessions_revoked", actor_id=admin.id)

    async def remove_mfa(self, principal: Principal, user_id: str) -> None:
        """Remove an account's second factors (a lost phone).

        Raises:
            Forbidden; NotFound.
        """
        admin = await self.authorize(principal, acting=True)
        user = await self._target(user_id)
        if self.mfa is not None:
            await self.mfa.reset(user, actor_id=admin.id)

    async def set_role(
        self, principal: Principal, user_id: str, role: str, *, granted: bool
    ) -> User:
        """Grant or take back a role (see :meth:`Accounts.set_role`). An admin cannot
        take the role ``admin`` from themselves (someone must keep it).

        Raises:
            Forbidden; NotFound; ValidationFailed: not a role name.
        """
        admin = await self.authorize(principal, acting=True)
        user = await self._target(user_id)
        if user.id == admin.id and role == ADMIN_ROLE and not granted:
            raise Forbidden("an admin cannot take the admin role from themselves")
        return await self.accounts.set_role(user, role, granted=granted, actor_id=admin.id)

    async def events(
        self,
        principal: Principal,
        *,
        user_id: str | None,
        type: str | None,
        cursor: str | None,
        limit: int | None,
    ) -> Page:
        """Everyone's events (or one user's, by id or email; one type's), newest first.

        Raises:
            Forbidden; ValidationFailed.
        """
        await self.authorize(principal)
        if user_id is not None and "@" in user_id:
            user = await self.context.users.by_email(login_key(user_id))
            if user is None:
                page_size(limit)
                return [], None
            user_id = user.id
        return await self.activity.page(cursor=cursor, limit=limit, user_id=user_id, type=type)

    async def _target(self, user_id: str) -> User:
        user = await self.context.users.by_id(user_id) if is_uuid(user_id) else None
        if user is None:
            raise NotFound("no such user")
        return user
