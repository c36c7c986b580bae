"""The service's account recovery and email methods (:mod:`authgate.core.recovery`),
part of :class:`~authgate.core.service.AuthService`."""

from __future__ import annotations

from authgate.core.errors import ServiceUnavailable
from authgate.core.models import EmailToken, MailOrder, Principal, ResetRequest
from authgate.core.recovery import Recovery


class RecoveryFacade:
    """Password reset, address verification and change, account deletion."""

    recovery: Recovery | None

    def _recovery(self) -> Recovery:
        if self.recovery is None:
            raise ServiceUnavailable("mail is not configured for this service")
        return self.recovery

    # -- recovery and email (authgate.core.recovery) ------------------------------

    async def forgot_password(self, email: str, *, language: str, address: str) -> None:
        """See :meth:`Recovery.forgot`."""
        await self._recovery().forgot(email, language, address)

    async def reset_password(self, token: str, new_password: str) -> None:
        """See :meth:`Recovery.reset`."""
        await self._recovery().reset(token, new_password)

    async def verify_email(self, token: str) -> None:
        """See :meth:`Recovery.verify`."""
        await self._recovery().verify(token)

    async def resend_verification(
        self, principal: Principal, *, language: str, address: str
    ) -> None:
        """See :meth:`Recovery.resend`."""
        await self._recovery().resend(principal, language, address)

    async def change_email(
        self, principal: Principal, new_email: str, password: str, *, language: str, address: str
    ) -> None:
        """See :meth:`Recovery.change_email`."""
        await self._recovery().change_email(principal, new_email, password, language, address)

    async def delete_account(self, principal: Principal, password: str) -> None:
        """See :meth:`Recovery.delete_account`."""
        await self._recovery().delete_account(principal, password)

    async def resolve_reset(self, request: ResetRequest) -> tuple[EmailToken, MailOrder] | None:
        """See :meth:`Recovery.resolve_reset` (the mail sender calls it)."""
        return await self._recovery().resolve_reset(request)
