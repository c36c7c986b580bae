"""The running parts, wired: storage implementations plugged into the core's ports.

Used by the web layer (:class:`authgate.web.gate.AuthGate`) and by the CLI, so
both run the same service over the same stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from authgate.clock import monotonic, perf_counter, system_clock
from authgate.core.context import to_datetime
from authgate.core.federation import Federation
from authgate.core.oidc import CODE_TTL
from authgate.core.oidc_clients import OidcClients
from authgate.core.oidc_provider import OidcProvider
from authgate.core.passwords import OWASP, Argon2Params, Passwords
from authgate.core.ports import Clock, PlanStore
from authgate.core.revocation import LocalRevocations
from authgate.core.service import AuthService
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens
from authgate.mail.sender import MailSender
from authgate.mail.templates import MailTemplates
from authgate.mail.transport import transport_for
from authgate.storage.keyfiles import load_or_create_secret
from authgate.storage.keysource import load_key_ring
from authgate.storage.memory_limits import MemoryRateLimiter
from authgate.storage.oidc_keys import DirectoryIdTokenKeys
from authgate.storage.ratelimit import LimitsRateLimiter, validate_limits
from authgate.storage.sealed import Sealer
from authgate.storage.sql import Database, SqlPlans, SqlRevocationStore, SqlSessions, SqlUsers
from authgate.storage.sql.directory import SqlDirectory
from authgate.storage.sql.events import SqlEvents
from authgate.storage.sql.identities import SqlIdentities
from authgate.storage.sql.mfa import SqlMfa
from authgate.storage.sql.oidc import SqlOidc
from authgate.storage.sql.passkeys import SqlPasskeys
from authgate.storage.sql.recovery import SqlRecovery
from authgate.upstream import Upstream

if TYPE_CHECKING:
    from authgate.storage.redis import RedisRevocations

log = logging.getLogger("authgate")

HOUSEKEEPING_SECONDS = 300.0


@functools.cache
def _redis() -> ModuleType:
    """:mod:`authgate.storage.redis`, imported only with ``AUTHGATE_REDIS_URL``:
    redis-py is ~6 MB that a single instance never uses."""
    from authgate.storage import redis

    return redis


STOP_SECONDS = 5.0


class Runtime:
    """Settings in; database, stores, keys, revocation list and service out.

    Construction does no I/O. :meth:`start` checks the database, migrates, loads
    keys and revocations; with ``background=True`` it also runs the revocation
    sync and the housekeeping tasks until :meth:`stop`.

    Raises:
        ConfigurationError: a setting is invalid (one line naming the variable).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        password_params: Argon2Params = OWASP,
        clock: Clock = system_clock,
        migrate: bool = True,
    ) -> None:
        validate_limits(settings)
        self.settings = settings
        self.clock = clock
        self.migrate = migrate
        self.password_params = password_params
        self.db = Database(settings.database_url)
        self.users = SqlUsers(self.db)
        self.sessions = SqlSessions(self.db)
        self.plans: PlanStore = SqlPlans(self.db)
        local = LocalRevocations(SqlRevocationStore(self.db), clock=clock, monotonic=monotonic)
        self.revocations: LocalRevocations | RedisRevocations = local
        self.limiter: MemoryRateLimiter | LimitsRateLimiter = MemoryRateLimiter(clock)
        if settings.redis_url is not None:  # shared by every instance and worker
            redis = _redis()
            self.revocations = redis.RedisRevocations(
                local, settings.redis_url, channel=redis.channel_name(settings)
            )
            self.limiter = redis.redis_rate_limiter(settings)
        self.oidc_store = SqlOidc(self.db)
        self._service: AuthService | None = None
        self._oidc: tuple[OidcProvider, OidcClients] | None = None
        self._federation: Federation | None = None
        #: The providers users may sign in through (AUTHGATE_OIDC_PROVIDERS).
        self.upstream = Upstream(leeway=settings.leeway)
        self.mail_sender: MailSender | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    @property
    def service(self) -> AuthService:
        """The running service (once started)."""
        if self._service is None:
            raise RuntimeError("authgate is not started (use the lifespan)")
        return self._service

    @property
    def oidc(self) -> OidcProvider:
        """The OpenID provider (once started)."""
        if self._oidc is None:
            raise RuntimeError("authgate is not started (use the lifespan)")
        return self._oidc[0]

    @property
    def oidc_clients(self) -> OidcClients:
        """Registered clients and users' consents (once started)."""
        if self._oidc is None:
            raise RuntimeError("authgate is not started (use the lifespan)")
        return self._oidc[1]

    @property
    def federation(self) -> Federation:
        """Sign-in through other providers (once started)."""
        if self._federation is None:
            raise RuntimeError("authgate is not started (use the lifespan)")
        return self._federation

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JWKS: the access tokens' keys, then the ID tokens' RS256 key(s)."""
        keys = self.service.jwks()["keys"]
        if self._oidc is not None:
            known = {key.get("kid") for key in keys}
            now = self.clock()
            keys += [k for k in self._oidc[0].keys.jwks(now) if k.get("kid") not in known]
        return {"keys": keys}

    async def start(self, *, background: bool = True) -> AuthService:
        """Check the database, migrate, load keys and revocations.

        Raises:
            ConfigurationError: unreachable database, unusable secret or keys.
        """
        await self.db.check_reachable()
        if self.migrate:
            await self.db.upgrade()
        tokens = AccessTokens(
            load_key_ring(self.settings, self.clock()),
            ttl=self.settings.access_ttl_seconds,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            leeway=self.settings.leeway,
        )
        passwords = Passwords(
            self.password_params, timer=perf_counter, concurrency=self.settings.hash_concurrency
        )
        await self.revocations.start(int(self.clock()))
        sealer = Sealer(load_or_create_secret(self.settings))
        recovery = SqlRecovery(self.db, sealer)
        self._service = AuthService(
            settings=self.settings,
            users=self.users,
            sessions=self.sessions,
            revocations=self.revocations,
            passwords=passwords,
            tokens=tokens,
            limiter=self.limiter,
            recovery=recovery,
            mfa=SqlMfa(self.db, sealer),
            passkeys=SqlPasskeys(self.db),
            events=SqlEvents(self.db),
            directory=SqlDirectory(self.db),
            clock=self.clock,
        )
        self.mail_sender = MailSender(
            queue=recovery,
            transport=transport_for(self.settings),
            templates=MailTemplates(self.settings.mail_templates),
            resolve_reset=self._service.resolve_reset,
            sender=self.settings.mail_from,
            public_url=self.settings.public_url,
            clock=self.clock,
        )
        self._service.on_mail_queued(self.mail_sender.wake)
        self._oidc = (
            OidcProvider(self._service, self.oidc_store, DirectoryIdTokenKeys(self.settings)),
            OidcClients(self.oidc_store, self._service.logins.revoker),
        )
        self._federation = Federation(self._service, SqlIdentities(self.db))
        if background:
            self._tasks = [
                asyncio.create_task(self.revocations.run_sync()),
                asyncio.create_task(self._service.run_housekeeping(HOUSEKEEPING_SECONDS)),
                asyncio.create_task(self.mail_sender.run()),
                asyncio.create_task(self._purge_codes(HOUSEKEEPING_SECONDS)),
            ]
        return self._service

    async def _purge_codes(self, interval: float) -> None:
        """Forget authorization codes a code lifetime after they expired, forever."""
        while True:
            try:
                await self.oidc_store.purge(to_datetime(self.clock() - CODE_TTL))
            except asyncio.CancelledError:
                raise
            except Exception:  # retried at the next turn; requests never wait on it
                log.exception("purging authorization codes failed; will retry")
            await asyncio.sleep(interval)

    async def check_health(self) -> None:
        """Raises ServiceUnavailable unless the database answers and the revocation
        list can vouch for tokens (its Redis channel, if any, is up)."""
        await self.db.ping()
        self.revocations.check()

    async def stop(self) -> None:
        """Stop the background tasks and close connections."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # bounded: a task that swallowed its cancellation cannot hang us
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
            for task in stuck:
                log.warning("background task %s did not stop; abandoning it", task.get_name())
        self._tasks = []
        await self.revocations.stop()
        await self.limiter.close()
        if self._service is not None:
            self._service.passwords.close()
            self._service = None
            self._oidc = None
            self._federation = None
        await self.db.dispose()

    @contextlib.asynccontextmanager
    async def running(self, *, background: bool = True) -> AsyncIterator[AuthService]:
        """Start, hand over the service, stop."""
        try:
            yield await self.start(background=background)
        finally:
            await self.stop()
