"""Link tokens, the mail queue and account deletion in SQL (API.md §3.1).

A token and the mail that carries it are stored in one transaction; the mail waits
in ``mail_queue``, sealed (:mod:`authgate.storage.sealed`), until a sender claims it.
A claim is a lease: a sender that dies mid-send leaves the job to be claimed again
when the lease ends, so a mail is never lost, and two senders never hold one job.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from authgate.core.errors import EmailTaken
from authgate.core.models import EmailToken, MailOrder, QueuedJob, ResetRequest
from authgate.storage.sealed import Sealer, SealError
from authgate.storage.sql.database import Database, Write
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import email_tokens, mail_queue, users
from authgate.storage.sql.users import END_LINK_TOKENS

log = logging.getLogger("authgate.mail")

#: Jobs one claim takes at most.
CLAIM_BATCH = 20

_TOKEN_COLUMNS = (
    email_tokens.c.token_hash,
    email_tokens.c.user_id,
    email_tokens.c.purpose,
    email_tokens.c.created_at,
    email_tokens.c.expires_at,
    email_tokens.c.new_email,
    email_tokens.c.used_at,
)
_FIND = Prepared(select(*_TOKEN_COLUMNS).where(email_tokens.c.token_hash == bindparam("hash")))
_INSERT_TOKEN = Prepared(insert(email_tokens))
_SUPERSEDE = Prepared(
    update(email_tokens)
    .where(
        email_tokens.c.user_id == bindparam("uid"),
        email_tokens.c.purpose == bindparam("kind"),
        email_tokens.c.used_at.is_(None),
    )
    .values(used_at=bindparam("now"))
)
#: The guard of every use: the token is still live (not used, superseded or expired).
_USE = Prepared(
    update(email_tokens)
    .where(
        email_tokens.c.token_hash == bindparam("hash"),
        email_tokens.c.used_at.is_(None),
        email_tokens.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
)
_END_OTHERS = Prepared(
    update(email_tokens)
    .where(email_tokens.c.user_id == bindparam("uid"), email_tokens.c.used_at.is_(None))
    .values(used_at=bindparam("now"))
)
_SET_PASSWORD = Prepared(
    update(users)
    .where(users.c.id == bindparam("uid"))
    .values(
        password_hash=bindparam("hash"),
        email_verified_at=func.coalesce(users.c.email_verified_at, bindparam("now")),
    )
)
_VERIFY = Prepared(
    update(users)
    .where(users.c.id == bindparam("uid"), users.c.email_verified_at.is_(None))
    .values(email_verified_at=bindparam("now"))
)
_CHANGE_EMAIL = Prepared(
    update(users)
    .where(users.c.id == bindparam("uid"))
    .values(
        email=bindparam("new_email"),
        email_key=bindparam("new_key"),
        email_verified_at=bindparam("now"),
    )
)
_PURGE = Prepared(delete(email_tokens).where(email_tokens.c.expires_at < bindparam("now")))
_DELETE_USER = Prepared(delete(users).where(users.c.id == bindparam("user_id")))

_QUEUE_FIELDS = (
    "kind",
    "sealed",
    "user_id",
    "created_at",
    "due_at",
    "attempts",
    "claim",
    "leased_until",
)
_ENQUEUE = Prepared(insert(mail_queue).values({name: bindparam(name) for name in _QUEUE_FIELDS}))
_DUE = Prepared(
    select(mail_queue.c.id, mail_queue.c.kind, mail_queue.c.sealed, mail_queue.c.attempts)
    .where(
        mail_queue.c.due_at <= bindparam("now"),
        or_(mail_queue.c.leased_until.is_(None), mail_queue.c.leased_until < bindparam("now")),
    )
    .order_by(mail_queue.c.due_at, mail_queue.c.id)
    .limit(CLAIM_BATCH)
)
_CLAIM = Prepared(
    update(mail_queue)
    .where(
        mail_queue.c.id == bindparam("job"),
        or_(mail_queue.c.leased_until.is_(None), mail_queue.c.leased_until < bindparam("now")),
    )
    .values(claim=bindparam("new_claim"), leased_until=bindparam("until"))
)
_FINISH = Prepared(
    delete(mail_queue).where(
        mail_queue.c.id == bindparam("job"), mail_queue.c.claim == bindparam("held")
    )
)
_POSTPONE = Prepared(
    update(mail_queue)
    .where(mail_queue.c.id == bindparam("job"), mail_queue.c.claim == bindparam("held"))
    .values(claim=None, leased_until=None, attempts=bindparam("tries"), due_at=bindparam("due"))
)
_DEPTH = Prepared(select(func.count()).select_from(mail_queue))

_MAIL, _RESET = "mail", "reset"


def _row(kind: str, sealed: bytes, user_id: str | None, now: datetime) -> dict[str, Any]:
    """A new queue entry, due at once."""
    return {
        "kind": kind,
        "sealed": sealed,
        "user_id": user_id,
        "created_at": now,
        "due_at": now,
        "attempts": 0,
        "claim": None,
        "leased_until": None,
    }


def _token(row: Any) -> EmailToken:
    token_hash, user_id, purpose, created_at, expires_at, new_email, used_at = row
    return EmailToken(
        token_hash=token_hash,
        user_id=user_id,
        purpose=purpose,
        created_at=created_at,
        expires_at=expires_at,
        new_email=new_email,
        used_at=used_at,
    )


class SqlRecovery:
    """The ``RecoveryStore`` and the ``MailQueue`` ports on one database."""

    def __init__(self, db: Database, sealer: Sealer) -> None:
        self.db = db
        self.sealer = sealer

    # -- RecoveryStore ------------------------------------------------------------

    async def issue(
        self, token: EmailToken | None, mails: Sequence[MailOrder], now: datetime
    ) -> None:
        await self.db.write([*self._issuing(token), *self._queueing(mails, now)])

    async def request_reset(self, request: ResetRequest, now: datetime) -> None:
        row = _row(_RESET, self.sealer.seal(asdict(request), _RESET), None, now)
        await self.db.write([(_ENQUEUE, row)])

    async def find(self, token_hash: str) -> EmailToken | None:
        rows = await self.db.read(_FIND, {"hash": token_hash})
        return _token(rows[0]) if rows else None

    async def use_reset(self, token: EmailToken, password_hash: str, now: datetime) -> bool:
        user = {"uid": token.user_id, "now": now}
        return await self._use(
            token, now, [(_SET_PASSWORD, {**user, "hash": password_hash}), (_END_OTHERS, user)]
        )

    async def use_verify(self, token: EmailToken, now: datetime) -> bool:
        user = {"uid": token.user_id, "now": now}
        return await self._use(
            token, now, [(_VERIFY, user), (_SUPERSEDE, {**user, "kind": "verify"})]
        )

    async def use_change(self, token: EmailToken, email_key: str, now: datetime) -> bool:
        user = {"uid": token.user_id, "now": now}
        change = {**user, "new_email": token.new_email, "new_key": email_key}
        try:
            return await self._use(token, now, [(_CHANGE_EMAIL, change), (_END_OTHERS, user)])
        except IntegrityError:
            raise EmailTaken() from None

    async def delete_user(self, user_id: str) -> bool:
        return await self.db.write(
            [(_DELETE_USER, {"user_id": user_id}), (END_LINK_TOKENS, {"user_id": user_id})],
            guard=True,
        )

    async def purge(self, now: datetime) -> None:
        await self.db.write([(_PURGE, {"now": now})])

    async def _use(self, token: EmailToken, now: datetime, then: list[Write]) -> bool:
        return await self.db.write(
            [(_USE, {"hash": token.token_hash, "now": now}), *then], guard=True
        )

    def _issuing(self, token: EmailToken | None) -> list[Write]:
        if token is None:
            return []
        supersede = {"uid": token.user_id, "kind": token.purpose, "now": token.created_at}
        return [(_SUPERSEDE, supersede), (_INSERT_TOKEN, asdict(token))]

    def _queueing(self, mails: Sequence[MailOrder], now: datetime) -> list[Write]:
        return [
            (_ENQUEUE, _row(_MAIL, self.sealer.seal(asdict(mail), _MAIL), mail.user_id, now))
            for mail in mails
        ]

    # -- MailQueue ----------------------------------------------------------------

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[QueuedJob]:
        jobs: list[QueuedJob] = []
        for job_id, kind, sealed, attempts in await self.db.read(_DUE, {"now": now}):
            if len(jobs) >= limit:
                break
            claim = secrets.token_hex(16)
            params = {"job": job_id, "now": now, "new_claim": claim, "until": lease_until}
            if not await self.db.write([(_CLAIM, params)], guard=True):
                continue  # another sender took it
            try:
                value = self.sealer.open(sealed, kind)
            except SealError:
                log.error("mail job %s cannot be opened with this secret; dropped", job_id)
                await self.db.write([(_FINISH, {"job": job_id, "held": claim})])
                continue
            job = QueuedJob(id=job_id, attempts=attempts, claim=claim)
            if kind == _MAIL:
                jobs.append(_replace_mail(job, MailOrder(**value)))
            else:
                jobs.append(_replace_reset(job, ResetRequest(**value)))
        return jobs

    async def finish(
        self, job: QueuedJob, token: EmailToken | None = None, mails: Sequence[MailOrder] = ()
    ) -> None:
        await self.db.write(
            [
                (_FINISH, {"job": job.id, "held": job.claim}),
                *self._issuing(token),
                *self._queueing(mails, token.created_at if token else datetime.now(UTC)),
            ],
            guard=True,
        )

    async def postpone(self, job: QueuedJob, attempts: int, when: datetime) -> None:
        params = {"job": job.id, "held": job.claim, "tries": attempts, "due": when}
        await self.db.write([(_POSTPONE, params)])

    async def depth(self) -> int:
        rows = await self.db.read(_DEPTH, {})
        return int(rows[0][0])


def _replace_mail(job: QueuedJob, mail: MailOrder) -> QueuedJob:
    return QueuedJob(id=job.id, attempts=job.attempts, claim=job.claim, mail=mail)


def _replace_reset(job: QueuedJob, reset: ResetRequest) -> QueuedJob:
    return QueuedJob(id=job.id, attempts=job.attempts, claim=job.claim, reset=reset)
