"""Verify authgate's tokens in another Python service, with nothing but the JWKS URL.

::

    verifier = JWKSVerifier("https://auth.example.com/.well-known/jwks.json", audience="reports")
    app = FastAPI(lifespan=verifier.lifespan)  # or verifier.install(app)
    async def reports(user: Principal = Depends(verifier.current_user)): ...

The key set is fetched on first use and cached for the ``max-age`` the server
sends (else ``max_age``). A token naming a ``kid`` the cache lacks makes one
refetch, at most once per ``refetch_interval`` seconds however many such tokens
come (forged kids cannot turn the verifier into a fetch storm), and concurrent
requests share one fetch. The checks are the server's own
(:class:`authgate.core.tokens.TokenVerifier`): the same algorithms, claims and
refusals, and the same 401 codes and ``WWW-Authenticate`` headers. Revocation
(logout) is the server's business: a token stays valid here until it expires, so
keep access tokens short-lived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import httpx
from fastapi import FastAPI, Request

from authgate.clock import system_clock
from authgate.core.errors import ServiceUnavailable, TokenInvalid, TokenMissing
from authgate.core.jose import ASYMMETRIC_ALGORITHMS, SigningKey, UnknownKid, key_from_jwk
from authgate.core.keys import KeyRing
from authgate.core.models import Principal
from authgate.core.ports import Clock
from authgate.core.tokens import TokenVerifier
from authgate.web.deps import (
    MAX_TOKEN_CHARS,
    bearer_token,
    mfa_dependency,
    recent_dependency,
    roles_dependency,
)

log = logging.getLogger("authgate.verify")

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
MAX_CACHE_SECONDS = 86400
#: While no key set was ever fetched, a failed fetch is retried at most this often.
RETRY_WITHOUT_KEYS = 1.0


class JWKSVerifier:
    """Verifies authgate access tokens against the server's published keys.

    Args:
        jwks_url: the server's ``/.well-known/jwks.json``.
        issuer: required ``iss`` (as the server's ``AUTHGATE_ISSUER``), if any.
        audience: required ``aud`` (as the server's ``AUTHGATE_AUDIENCE``), if any.
        algorithms: accepted algorithms (asymmetric only: a JWKS never carries HS256).
        leeway: seconds of clock difference tolerated for ``nbf``/``iat`` (not ``exp``).
        max_age: how long a fetched key set is used when the answer has no max-age.
        refetch_interval: the least time between two fetches caused by unknown kids.
        timeout: seconds for one fetch.
        client: an ``httpx.AsyncClient`` to fetch with (default: one per fetch).
        clock: seconds since the epoch (tests pass a fake one).

    Raises:
        ValueError: an algorithm that cannot be verified with a public key.
    """

    def __init__(
        self,
        jwks_url: str,
        issuer: str | None = None,
        audience: str | None = None,
        *,
        algorithms: Iterable[str] = ASYMMETRIC_ALGORITHMS,
        leeway: int = 10,
        max_age: float = 300.0,
        refetch_interval: float = 30.0,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
        clock: Clock = system_clock,
    ) -> None:
        allowed = tuple(algorithms)
        if not allowed or set(allowed) - set(ASYMMETRIC_ALGORITHMS):
            raise ValueError(f"algorithms must be among {', '.join(ASYMMETRIC_ALGORITHMS)}")
        self.jwks_url = jwks_url
        self.max_age = max_age
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        self._client = client
        self._clock = clock
        self._tokens = TokenVerifier(
            KeyRing(None), algorithms=allowed, issuer=issuer, audience=audience, leeway=leeway
        )
        self._fetched_at: float | None = None
        self._fresh_until = -math.inf
        self._attempted_at = -math.inf
        self._lock = asyncio.Lock()

    @property
    def keys(self) -> KeyRing:
        """The key set in use (empty before the first fetch)."""
        return self._tokens.keys

    async def verify(self, token: str) -> Principal:
        """Verify an access token; the caller it names.

        Raises:
            TokenExpired: a good signature whose ``exp`` has passed.
            TokenInvalid: anything else wrong with the token.
            ServiceUnavailable: no key set could be fetched yet.
        """
        now = self._clock()
        if now >= self._fresh_until:
            await self._fetch(now, reason="expired")
        try:
            return self._tokens.verify(token, now)
        except UnknownKid:
            if not await self._fetch(now, reason="unknown kid"):
                raise
        return self._tokens.verify(token, now)

    async def refresh(self) -> None:
        """Fetch the key set now (for example at start-up).

        Raises:
            ServiceUnavailable: the JWKS could not be fetched.
        """
        if not await self._fetch(self._clock(), reason="asked", force=True):
            raise ServiceUnavailable(f"cannot fetch {self.jwks_url}")

    @property
    def require_mfa(self) -> Callable[[Request], Awaitable[Principal]]:
        """``Depends(verifier.require_mfa)``: the caller, signed in with two factors
        (``amr`` holds ``mfa``); else 403 ``reauth_required``."""
        return mfa_dependency(self.current_user)

    def require_roles(self, *roles: str) -> Callable[[Request], Awaitable[Principal]]:
        """``Depends(verifier.require_roles("admin"))``: the caller, with every one of
        ``roles`` in its token (``roles`` claim); else 403 ``forbidden``."""
        return roles_dependency(self.current_user, roles)

    def recent_auth(self, max_age: float) -> Callable[[Request], Awaitable[Principal]]:
        """``Depends(verifier.recent_auth(max_age=300))``: the caller, signed in at most
        ``max_age`` seconds ago (``auth_time``); else 403 ``reauth_required``."""
        return recent_dependency(self.current_user, self._clock, max_age)

    async def current_user(self, request: Request) -> Principal:
        """The FastAPI dependency: ``Depends(verifier.current_user)`` gives the caller.

        Reads ``Authorization: Bearer <token>`` only (RFC 6750 §2.1).

        Raises:
            TokenMissing, TokenExpired, TokenInvalid, ServiceUnavailable (answered
            as the server answers them, with :meth:`lifespan` or :meth:`install`).
        """
        authorization = request.headers.get("authorization")
        if authorization is None:
            raise TokenMissing("no Authorization header")
        token = bearer_token(authorization)
        if len(token) > MAX_TOKEN_CHARS:
            raise TokenInvalid("token too long")
        return await self.verify(token)

    def install(self, app: FastAPI) -> None:
        """Answer authgate's errors in ``app`` as the server does: status,
        ``{"detail", "code"}``, ``WWW-Authenticate``, the caller's language. Other
        errors keep the app's own format."""
        from authgate.web.errors import ensure_auth_errors_handled

        ensure_auth_errors_handled(app)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        """A FastAPI lifespan: :meth:`install`, and a first fetch of the keys (an
        auth server that is not up yet is only logged: requests fetch again)."""
        if isinstance(app, FastAPI):
            self.install(app)
        try:
            await self.refresh()
        except ServiceUnavailable as exc:
            log.warning("%s; will fetch again on the first request", exc.reason)
        yield

    async def _fetch(self, now: float, *, reason: str, force: bool = False) -> bool:
        """Fetch the key set, at most once per ``refetch_interval`` (once a second
        while none was ever fetched) unless forced; True if another set may now be
        in use. Concurrent callers wait for one fetch instead of making their own.

        Raises:
            ServiceUnavailable: no key set has ever been fetched.
        """
        attempted = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted and not force:
                return True  # another caller fetched while this one waited
            has_keys = self._fetched_at is not None
            gap = self.refetch_interval if has_keys else RETRY_WITHOUT_KEYS
            if not force and abs(now - self._attempted_at) < gap:
                if not has_keys:
                    raise ServiceUnavailable("no JWKS fetched yet")
                return False
            self._attempted_at = now
            try:
                ring, max_age = await self._download()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("cannot fetch %s (%s): %s", self.jwks_url, reason, exc)
                if not has_keys:
                    raise ServiceUnavailable(f"JWKS unreachable: {exc}") from None
                return False
            self._tokens.use_keys(ring)
            self._fetched_at = now
            self._fresh_until = now + max_age
            return True

    async def _download(self) -> tuple[KeyRing, float]:
        if self._client is not None:
            response = await self._client.get(self.jwks_url, timeout=self.timeout)
        else:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(self.jwks_url)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise ValueError("not a JWK Set")
        keys: dict[str | None, SigningKey] = {}
        for jwk in body["keys"]:
            try:
                key = key_from_jwk(jwk, self._tokens.rules.algorithms)
            except (ValueError, AttributeError) as exc:
                log.warning("skipping a key of %s: %s", self.jwks_url, exc)
                continue
            keys[key.kid] = key
        match = _MAX_AGE.search(response.headers.get("cache-control", ""))
        max_age = float(match.group(1)) if match else self.max_age
        return KeyRing(None, keys), min(max_age, MAX_CACHE_SECONDS)
