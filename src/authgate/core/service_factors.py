"""The service's second-factor methods (:mod:`authgate.core.mfa`,
:mod:`authgate.core.passkeys`), part of :class:`~authgate.core.service.AuthService`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from authgate.core.accounts import Accounts
from authgate.core.errors import ServiceUnavailable
from authgate.core.mfa import Mfa
from authgate.core.models import Passkey, Principal, TokenPair
from authgate.core.passkeys import Passkeys
from authgate.core.sessions import Sessions


class FactorsFacade:
    """Authenticator apps, recovery codes, passkeys and the second sign-in step."""

    mfa: Mfa | None
    passkeys: Passkeys | None
    logins: Sessions
    accounts: Accounts

    def _mfa(self) -> Mfa:
        if self.mfa is None:
            raise ServiceUnavailable("second factors are not configured for this service")
        return self.mfa

    def _passkeys(self) -> Passkeys:
        if self.passkeys is None:
            raise ServiceUnavailable("passkeys are not configured for this service")
        return self.passkeys

    # -- second factors (authgate.core.mfa) -------------------------------------------

    async def login_mfa(self, mfa_token: str, code: str, *, user_agent: str = "") -> TokenPair:
        """See :meth:`Sessions.login_mfa`."""
        return await self.logins.login_mfa(mfa_token, code, user_agent=user_agent)

    async def mfa_state(self, user_id: str) -> tuple[bool, int]:
        """Whether the user has a confirmed authenticator app, and how many passkeys."""
        if self.mfa is None:
            return False, 0
        return await self.mfa.totp_enabled(user_id), await self.mfa.passkey_count(user_id)

    async def enroll_totp(self, principal: Principal) -> tuple[str, str]:
        """See :meth:`Mfa.enroll`."""
        return await self._mfa().enroll(principal)

    async def confirm_totp(self, principal: Principal, code: str) -> list[str]:
        """See :meth:`Mfa.confirm`."""
        return await self._mfa().confirm(principal, code)

    async def disable_totp(self, principal: Principal) -> None:
        """See :meth:`Mfa.disable`."""
        await self._mfa().disable(principal)

    async def regenerate_recovery_codes(self, principal: Principal) -> list[str]:
        """See :meth:`Mfa.regenerate`."""
        return await self._mfa().regenerate(principal)

    async def reset_mfa(self, email: str) -> bool:
        """See :meth:`Mfa.reset`."""
        return await self._mfa().reset(await self.accounts.by_email(email))

    # -- passkeys (authgate.core.passkeys) ----------------------------------------------

    async def passkey_register_options(self, principal: Principal) -> dict[str, Any]:
        """See :meth:`Passkeys.register_options`."""
        return await self._passkeys().register_options(principal)

    async def register_passkey(
        self, principal: Principal, credential: Any, name: str | None
    ) -> Passkey:
        """See :meth:`Passkeys.register`."""
        return await self._passkeys().register(principal, credential, name)

    async def list_passkeys(self, principal: Principal) -> Sequence[Passkey]:
        """The caller's passkeys, oldest first."""
        return await self._passkeys().list(principal)

    async def rename_passkey(self, principal: Principal, passkey_id: str, name: str) -> Passkey:
        """See :meth:`Passkeys.rename`."""
        return await self._passkeys().rename(principal, passkey_id, name)

    async def delete_passkey(self, principal: Principal, passkey_id: str) -> None:
        """See :meth:`Passkeys.delete`."""
        await self._passkeys().delete(principal, passkey_id)

    async def passkey_login_options(
        self, mfa_token: str | None, *, address: str
    ) -> tuple[dict[str, Any], str]:
        """See :meth:`Passkeys.login_options` (counted per address, like logins)."""
        await self.logins.context.throttle.count_passkey_options(address)
        return await self._passkeys().login_options(mfa_token)

    async def passkey_login(self, flow: str, credential: Any, *, user_agent: str = "") -> TokenPair:
        """Sign in with a passkey (see :meth:`Passkeys.verify_login`)."""
        user, password_hash, amr = await self._passkeys().verify_login(flow, credential)
        return await self.logins.open_verified(user, password_hash, user_agent, amr)
