"""Account recovery and email (API.md §3.1): verification, password reset, email
change, account deletion.

Every link carries a token of 256 bits from the OS CSPRNG; the store keeps its
SHA-256 only. A mail is queued in the transaction that stores its token and sent
by the mail sender, never on the request path. ``forgot`` only queues the request
as it came, so it costs the same for any address: the sender resolves it
(:meth:`Recovery.resolve_reset`), and a registered address gets its link.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from authgate.core.accounts import Accounts
from authgate.core.context import ServiceContext, to_datetime
from authgate.core.digests import token_digest
from authgate.core.emails import login_key, normalize_email
from authgate.core.errors import EmailTaken, LinkInvalid
from authgate.core.models import (
    EmailToken,
    LinkPurpose,
    MailKind,
    MailOrder,
    Principal,
    ResetRequest,
    User,
)
from authgate.core.passwords import check_password_policy
from authgate.core.ports import RecoveryStore
from authgate.core.revoker import Revoker

log = logging.getLogger("authgate")

_TOKEN_BYTES = 32
_MAX_TOKEN_CHARS = 256
RESET_SECONDS = 30 * 60
VERIFY_SECONDS = 24 * 3600
#: The pages of the web UI that take each link (hash routes: the token stays in
#: the fragment, which browsers never send to a server or in a Referer).
PAGES = {"reset": "reset-password", "verify": "verify-email", "change": "verify-email"}


class Recovery:
    """The flows of API.md §3.1 over the ``RecoveryStore`` port."""

    def __init__(
        self,
        context: ServiceContext,
        accounts: Accounts,
        revoker: Revoker,
        store: RecoveryStore,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        """``queued`` is called after a mail or a request was queued (it wakes the
        sender of this process)."""
        self.context = context
        self.accounts = accounts
        self.revoker = revoker
        self.store = store
        self.queued = queued

    # -- mails ------------------------------------------------------------------------

    async def registered(self, user: User, language: str) -> None:
        """Send a new account its verification link (not counted toward the limit)."""
        await self._send_verification(user, language)

    async def resend(self, principal: Principal, language: str, address: str) -> None:
        """Send the caller a new verification link (nothing if verified already, or
        beyond the account's mails per hour).

        Raises:
            TooManyAttempts: too many mail requests from this address.
        """
        user = await self.accounts.me(principal)
        await self.context.throttle.count_mail(address)
        if user.email_verified or not await self.context.throttle.mail_allowed(user.id):
            return
        await self._send_verification(user, language)

    async def forgot(self, email: str, language: str, address: str) -> None:
        """Queue a password reset for ``email``: the same work, answer and time
        whether it is registered or not.

        Raises:
            ValidationFailed: not an email address.
            TooManyAttempts: too many mail requests from this address.
        """
        _, key = normalize_email(email)
        await self.context.throttle.count_mail(address)
        now = self.context.clock()
        await self.store.request_reset(
            ResetRequest(email_key=key, language=language), to_datetime(now)
        )
        self.queued()

    async def resolve_reset(self, request: ResetRequest) -> tuple[EmailToken, MailOrder] | None:
        """What a queued ``forgot`` sends: a reset link for a registered, enabled
        account within its mails per hour; else nothing."""
        user = await self.context.users.by_email(request.email_key)
        if user is None or user.is_disabled:
            return None
        if not await self.context.throttle.mail_allowed(user.id):
            log.info("reset link for user %s not sent: mails per hour reached", user.id)
            return None
        raw, token = self._new_token(user.id, "reset", RESET_SECONDS)
        mail = self._mail(
            user.email, "reset", request.language, user.id, link=self._link(token, raw)
        )
        return token, mail

    async def change_email(
        self, principal: Principal, new_email: str, password: str, language: str, address: str
    ) -> None:
        """Send a confirmation link to ``new_email`` and a notice to the current
        address; nothing changes until the link is used.

        Raises:
            ValidationFailed: not an email address.
            InvalidCredentials: wrong password (counted toward the lockout).
            EmailTaken: the address is registered (to anyone, the caller included).
            TooManyAttempts: locked out, or too many mail requests from this address.
        """
        display, key = normalize_email(new_email)
        user = await self.accounts.me(principal)
        await self.accounts.confirm_password(user, password)
        if await self.context.users.by_email(key) is not None:
            raise EmailTaken()
        await self.context.throttle.count_mail(address)
        if not await self.context.throttle.mail_allowed(user.id):
            return
        raw, token = self._new_token(user.id, "change", VERIFY_SECONDS, new_email=display)
        link = self._link(token, raw)
        mails = [
            self._mail(display, "email_change", language, user.id, link=link, new_email=display),
            self._mail(user.email, "email_changed", language, user.id, new_email=display),
        ]
        await self.store.issue(token, mails, token.created_at)
        self.queued()

    # -- links --------------------------------------------------------------------

    async def reset(self, token: str, new_password: str) -> None:
        """Set a new password from a reset link: every session and access token of
        the account is revoked, and the address counts as verified.

        Raises:
            ValidationFailed: the password breaks the policy.
            LinkInvalid: unknown, used, expired or superseded link.
        """
        check_password_policy(new_password)
        link = await self._live(token, "reset")
        new_hash = await self.context.passwords.hash(new_password)
        now = self.context.clock()
        events = self.context.events
        events.note("password_reset", link.user_id)
        if not await self.store.use_reset(link, new_hash, to_datetime(now)):
            events.discard()
            raise LinkInvalid("used meanwhile")
        # Like logout-all: every session ends (and with it each of its access tokens,
        # issued earlier in this second too); tokens from a sign-in with the new
        # password, even within this second, work.
        await self.revoker.sessions_of(link.user_id, now)
        await self.revoker.tokens_before(link.user_id, int(now), now)
        await events.flush()

    async def verify(self, token: str) -> None:
        """Use a verification link (the address is verified) or an email-change link
        (the address becomes the new one, verified; sessions go on).

        Raises:
            LinkInvalid: unknown, used, expired or superseded link.
            EmailTaken: the new address was registered meanwhile.
        """
        link = await self._live(token, "verify", "change")
        now = to_datetime(self.context.clock())
        events = self.context.events
        events.note("email_verified" if link.purpose == "verify" else "email_changed", link.user_id)
        try:
            if link.purpose == "verify":
                used = await self.store.use_verify(link, now)
            else:
                used = await self.store.use_change(link, login_key(link.new_email or ""), now)
        except EmailTaken:
            events.discard()
            raise
        if not used:
            events.discard()
            raise LinkInvalid("used meanwhile")
        await events.flush()

    # -- the account ----------------------------------------------------------------

    async def delete_account(self, principal: Principal, password: str) -> None:
        """Delete the caller's account and everything it owns; its sessions and
        access tokens are refused at once, on every instance.

        Raises:
            InvalidCredentials: wrong password (counted toward the lockout).
            TooManyAttempts: the account is locked out.
        """
        user = await self.accounts.me(principal)
        await self.accounts.confirm_password(user, password)
        now = self.context.clock()
        await self.revoker.sessions_of(user.id, now)
        await self.revoker.tokens_before(user.id, int(now) + 1, now)
        self.context.events.note("account_deleted", user.id)
        await self.store.delete_user(user.id)
        await self.context.events.flush()

    # -- helpers --------------------------------------------------------------------

    async def _send_verification(self, user: User, language: str) -> None:
        raw, token = self._new_token(user.id, "verify", VERIFY_SECONDS)
        mail = self._mail(user.email, "verify", language, user.id, link=self._link(token, raw))
        await self.store.issue(token, [mail], token.created_at)
        self.queued()

    async def _live(self, token: str, *purposes: LinkPurpose) -> EmailToken:
        if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_CHARS:
            raise LinkInvalid("malformed")
        link = await self.store.find(token_digest(token))
        now = to_datetime(self.context.clock())
        if link is None or link.purpose not in purposes:
            raise LinkInvalid("unknown")
        if link.used_at is not None or link.expires_at <= now:
            raise LinkInvalid("used, superseded or expired")
        return link

    def _new_token(
        self, user_id: str, purpose: LinkPurpose, ttl: int, new_email: str | None = None
    ) -> tuple[str, EmailToken]:
        raw = secrets.token_urlsafe(_TOKEN_BYTES)
        now = to_datetime(self.context.clock())
        token = EmailToken(
            token_hash=token_digest(raw),
            user_id=user_id,
            purpose=purpose,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            new_email=new_email,
        )
        return raw, token

    def _link(self, token: EmailToken, raw: str) -> str:
        return f"{self.context.settings.public_url}/#/{PAGES[token.purpose]}?token={raw}"

    @staticmethod
    def _mail(to: str, kind: MailKind, language: str, user_id: str, **context: str) -> MailOrder:
        return MailOrder(to=to, kind=kind, language=language, context=context, user_id=user_id)
