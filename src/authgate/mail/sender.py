"""The mail sender: works through the durable queue in the background.

Requests only queue (a mail, or a ``forgot`` request to resolve); this task sends.
It wakes when this process queued something and polls for the rest (other
instances' mails, retries). A job is leased while it is handled, so with several
instances each mail goes out once; a sender killed mid-job leaves it to be taken
again when the lease ends, so nothing is lost. A failed delivery is retried with
backoff (5 s, 15 s, 45 s, … at most an hour apart) and logged once; a permanent
failure (a recipient refused, an address that cannot be mailed) or the last
attempt drops the mail with one error line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from authgate.core.config_values import is_loopback_host
from authgate.core.models import EmailToken, MailOrder, QueuedJob, ResetRequest
from authgate.core.ports import Clock, MailQueue
from authgate.mail.message import MailAddressError, compose
from authgate.mail.templates import MailTemplateError, MailTemplates
from authgate.mail.transport import MailDeliveryError, OutboxTransport, Transport

log = logging.getLogger("authgate.mail")

LEASE_SECONDS = 60.0
POLL_SECONDS = 2.0
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 3600.0
MAX_ATTEMPTS = 12
#: What each kind of mail tells about its link's lifetime.
_LIFETIMES = {
    "verify": {"hours": "24"},
    "email_change": {"hours": "24"},
    "reset": {"minutes": "30"},
}

ResolveReset = Callable[[ResetRequest], Awaitable[tuple[EmailToken, MailOrder] | None]]


def retry_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1`` (after ``attempts`` failures)."""
    return float(min(FIRST_RETRY_SECONDS * 3 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


class MailSender:
    """Claims due jobs, resolves reset requests, renders and sends mails."""

    def __init__(
        self,
        *,
        queue: MailQueue,
        transport: Transport,
        templates: MailTemplates,
        resolve_reset: ResolveReset,
        sender: str,
        public_url: str,
        clock: Clock,
    ) -> None:
        self.queue = queue
        self.transport = transport
        self.templates = templates
        self.resolve_reset = resolve_reset
        self.sender = sender
        self.public_url = public_url
        self.clock = clock
        self._wake = asyncio.Event()
        self._failing = False
        #: Jobs waiting, as last counted (each pass of the loop).
        self.depth = 0
        #: Called once per failed delivery attempt (metrics).
        self.on_failure: Callable[[], None] | None = None

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled (a background task)."""
        while True:
            try:
                while await self.run_once():
                    pass
                self.depth = await self.queue.depth()
                if self._failing:
                    log.warning("mail sender working again")
                    self._failing = False
            except asyncio.CancelledError:
                raise
            except Exception:  # a database outage: the jobs wait in the queue
                if not self._failing:  # once per outage, not at every poll
                    log.exception("mail sender failed; will retry")
                    self._failing = True
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            except TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self) -> int:
        """Handle one job due now (each has its own lease, so a slow mail server
        cannot make a batch outlast it); return how many were claimed."""
        now = self._now()
        jobs = await self.queue.claim(now, now + timedelta(seconds=LEASE_SECONDS), 1)
        for job in jobs:
            if job.reset is not None:
                await self._resolve(job, job.reset)
            elif job.mail is not None:
                await self._send(job, job.mail)
        return len(jobs)

    async def _resolve(self, job: QueuedJob, request: ResetRequest) -> None:
        produced = await self.resolve_reset(request)
        if produced is None:
            await self.queue.finish(job)
        else:
            token, mail = produced
            await self.queue.finish(job, token, [mail])

    async def _send(self, job: QueuedJob, mail: MailOrder) -> None:
        try:
            message = self._compose(mail)
            where = await self.transport.send(message)
        except MailAddressError as exc:
            log.error("mail %s (%s) dropped: %s", job.id, mail.kind, exc)
            await self.queue.finish(job)
            return
        except MailDeliveryError as exc:
            await self._failed(job, mail, exc)
            return
        except MailTemplateError as exc:  # a deployer's template: retried once it is fixed
            await self._failed(job, mail, MailDeliveryError(f"template: {exc}", permanent=False))
            return
        await self.queue.finish(job)
        if isinstance(self.transport, OutboxTransport):
            # The embedded default, for development: the link is what a developer needs;
            # but a link is a key to the account, so only for a loopback public URL (a
            # deployment's logs never carry one).
            local = is_loopback_host(urlsplit(self.public_url).hostname)
            link = mail.context.get("link") if local else None
            log.info(
                "mail (%s) to %s written to %s%s",
                mail.kind,
                mail.to,
                where,
                f"; link: {link}" if link else "",
            )
        else:
            log.info(
                "mail %s (%s) for user %s sent through %s", job.id, mail.kind, mail.user_id, where
            )

    async def _failed(self, job: QueuedJob, mail: MailOrder, exc: MailDeliveryError) -> None:
        if self.on_failure is not None:
            self.on_failure()
        attempts = job.attempts + 1
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            why = "refused" if exc.permanent else f"undeliverable after {attempts} attempts"
            log.error(
                "mail %s (%s) for user %s dropped, %s: %s",
                job.id,
                mail.kind,
                mail.user_id,
                why,
                exc,
            )
            await self.queue.finish(job)
            return
        if attempts == 1:  # once per mail; the retries are quiet unless they all fail
            log.warning("mail %s (%s) not delivered yet, will retry: %s", job.id, mail.kind, exc)
        due = self._now() + timedelta(seconds=retry_delay(attempts))
        await self.queue.postpone(job, attempts, due)

    def _compose(self, mail: MailOrder) -> EmailMessage:
        rendered = self.templates.render(
            mail.kind,
            mail.language,
            email=mail.to,
            public_url=self.public_url,
            **_LIFETIMES.get(mail.kind, {}),
            **mail.context,
        )
        return compose(sender=self.sender, to=mail.to, rendered=rendered, language=mail.language)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)
