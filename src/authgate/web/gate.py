"""AuthGate: authgate mounted into any FastAPI app (the library API).

::

    gate = AuthGate(Settings())
    app = FastAPI(lifespan=gate.lifespan)
    app.include_router(gate.router)

    @app.get("/reports")
    async def reports(user: Principal = Depends(gate.current_user)): ...

Construction does no I/O. The lifespan checks the database, applies pending
migrations, loads (or generates) the signing keys and the revocation list, and runs
the background tasks (revocation sync, housekeeping).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from authgate.clock import system_clock
from authgate.core.passwords import OWASP, Argon2Params
from authgate.core.ports import Clock
from authgate.core.service import AuthService
from authgate.core.settings import Settings, load_settings
from authgate.runtime import Runtime
from authgate.web.cookies import CookieTransport
from authgate.web.deps import (
    CurrentUser,
    PrincipalOf,
    mfa_dependency,
    recent_dependency,
    roles_dependency,
)
from authgate.web.errors import ensure_auth_errors_handled
from authgate.web.routes.admin import activity_routes, admin_routes
from authgate.web.routes.auth import auth_router
from authgate.web.routes.consents import consent_routes
from authgate.web.routes.mfa import mfa_routes
from authgate.web.routes.oauth import oauth_routes
from authgate.web.routes.passkeys import passkey_routes
from authgate.web.routes.recovery import recovery_routes
from authgate.web.routes.upstream import upstream_routes


class AuthGate:
    """The auth server's parts for a FastAPI app: ``.router``, ``.current_user``,
    ``.lifespan`` (and ``.cookies``, the cookie transport's rules).

    Args:
        settings: the configuration (default: read from ``AUTHGATE_*``).
        password_params: Argon2id costs (default: OWASP's minimum).
        clock: seconds since the epoch (tests pass a fake one).
        migrate: apply pending migrations at start-up.

    Raises:
        ConfigurationError: a setting is invalid (one line naming the variable).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        password_params: Argon2Params = OWASP,
        clock: Clock = system_clock,
        migrate: bool = True,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.runtime = Runtime(
            self.settings, password_params=password_params, clock=clock, migrate=migrate
        )
        self.db = self.runtime.db
        self.plans = self.runtime.plans
        self.cookies = CookieTransport(self.settings)
        self.current_user = CurrentUser(self)
        #: ``Depends(gate.require_mfa)``: the caller, signed in with two factors.
        self.require_mfa = mfa_dependency(self.current_user)
        self._clock = clock
        self.router = auth_router(self)
        recovery_routes(self.router, self)
        mfa_routes(self.router, self)
        passkey_routes(self.router, self)
        activity_routes(self.router, self)
        admin_routes(self.router, self)
        oauth_routes(self.router, self)
        consent_routes(self.router, self)
        upstream_routes(self.router, self)

    def require_roles(self, *roles: str) -> PrincipalOf:
        """``Depends(gate.require_roles("admin"))``: the caller, with every one of
        ``roles`` in its token; else 403 ``forbidden``."""
        return roles_dependency(self.current_user, roles)

    def recent_auth(self, max_age: float | None = None) -> PrincipalOf:
        """``Depends(gate.recent_auth(max_age=300))``: the caller, signed in at most
        ``max_age`` seconds ago (default AUTHGATE_REAUTH_MAX_AGE); else 403
        ``reauth_required``."""
        limit = self.settings.reauth_max_age if max_age is None else max_age
        return recent_dependency(self.current_user, self._clock, limit)

    async def flush_events(self) -> None:
        """Keep the security events this request noted and no write took (see
        :class:`~authgate.web.middleware.EventOrigin`)."""
        await self.runtime.service.events.flush()

    @property
    def service(self) -> AuthService:
        """The running service (available once the lifespan has started)."""
        return self.runtime.service

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        """The FastAPI lifespan: start, serve, stop (and map auth errors to answers)."""
        if isinstance(app, FastAPI):
            ensure_auth_errors_handled(app)
        async with self.runtime.running():
            yield
