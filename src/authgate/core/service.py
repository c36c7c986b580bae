"""The AuthService: every rule of registering, logging in, sessions and revocation.

It knows nothing of HTTP or databases: the web layer and the CLI call it, and it
talks to storage through the ports of :mod:`authgate.core.ports`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from authgate.core import csrf
from authgate.core import refresh as refresh_tokens
from authgate.core.emails import is_storable, login_key, normalize_email
from authgate.core.errors import (
    AccountDisabled,
    InvalidCredentials,
    NotFound,
    RefreshInvalid,
    RefreshReused,
    TokenInvalid,
    TokenRevoked,
    TooManyAttempts,
)
from authgate.core.models import (
    Principal,
    RefreshRecord,
    Revocation,
    Session,
    TokenPair,
    User,
)
from authgate.core.passwords import Passwords, check_password_policy
from authgate.core.ports import (
    Clock,
    RateLimiter,
    RevocationList,
    SessionStore,
    UserStore,
    system_clock,
)
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens

#: Rotations followed from a token presented within the grace period (a client
#: cannot rotate more often than it makes requests; this only bounds the loop).
_MAX_SUCCESSORS = 32

log = logging.getLogger("authgate")

MAX_USER_AGENT = 512
LIMIT_OFF = "off"
#: Live sessions one user may hold; a login beyond it ends the oldest (40 parallel
#: logins made 118 sessions in 2 s, each a refresh token that lives for days).
MAX_LIVE_SESSIONS = 50
#: Password checks of one account that may wait for the hashing threads at once:
#: the rest queue behind them, so a storm of logins to one account (right password
#: or wrong) takes its turn with everyone else's instead of the whole hash queue.
ACCOUNT_HASH_SLOTS = 1


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _limit_key(scope: str, subject: str) -> str:
    """A rate-limit key that carries no email or address in clear, of any content."""
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{scope}:{digest}"


def address_subject(address: str) -> str:
    """What a per-address limit counts for a client address: an IPv4 address, or the
    /64 network of an IPv6 one (RFC 4291 §2.5.1: one subscriber or host holds a
    whole /64 and may pick any address in it, so a /128 key would count nothing)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _is_off(limit: str) -> bool:
    return limit.strip().lower() == LIMIT_OFF


def _clean_user_agent(user_agent: str) -> str:
    cleaned = user_agent.replace("\x00", "").encode("utf-8", "replace").decode()
    return cleaned[:MAX_USER_AGENT]


class AuthService:
    """Register, log in, refresh, log out, revoke: the whole contract of API.md."""

    def __init__(
        self,
        *,
        settings: Settings,
        users: UserStore,
        sessions: SessionStore,
        revocations: RevocationList,
        passwords: Passwords,
        tokens: AccessTokens,
        limiter: RateLimiter | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.settings = settings
        self.users = users
        self.sessions = sessions
        self.revocations = revocations
        self.passwords = passwords
        self.tokens = tokens
        self.limiter = limiter
        self.clock = clock
        self.refresh_ttl = settings.refresh_ttl_seconds
        self.session_max_age = settings.session_max_age_seconds
        self._hash_turns: dict[str, tuple[asyncio.Semaphore, int]] = {}

    # -- accounts -------------------------------------------------------------

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
            await self._count(
                self.settings.limit_register_address,
                _limit_key("register:address", address_subject(address)),
            )
        user = User(
            id=str(uuid.uuid4()),
            email=display,
            password_hash=await self.passwords.hash(password),
            created_at=to_datetime(self.clock()),
        )
        await self.users.add(user, key)
        log.info("registered user %s", user.id)
        return user

    async def me(self, principal: Principal) -> User:
        """The caller's account.

        Raises:
            TokenInvalid: no such account (a token for an id never registered).
            TokenRevoked: the account is disabled (its tokens were revoked).
        """
        user = await self.users.by_id(principal.id)
        if user is None:
            raise TokenInvalid("no such user")
        if user.is_disabled:
            raise TokenRevoked("user disabled")
        return user

    async def disable(self, email: str) -> User:
        """Disable an account and revoke all its sessions and tokens.

        Raises:
            NotFound: no such account.
        """
        user = await self.users.by_email(login_key(email))
        if user is None:
            raise NotFound("no such user")
        now = self.clock()
        await self.users.disable(user.id, to_datetime(now))
        await self._revoke_sessions(user.id, now)
        # Every token issued up to this second; the user cannot get new ones.
        await self.revocations.revoke(
            Revocation(
                kind="user",
                subject=user.id,
                cutoff=int(now) + 1,
                expires_at=self._access_horizon(now) + 1,
            )
        )
        log.info("disabled user %s", user.id)
        return user

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
        account_key = _limit_key("login:account", login_key(user.email))
        limits = [(self.settings.limit_login_account, account_key)]
        await self._reserve(limits)
        valid: bool | None = None
        try:
            valid, _ = await self.passwords.verify(current_password, user.password_hash)
        finally:
            await self._settle(limits, failed=valid is False)
        if not valid:
            raise InvalidCredentials("wrong current password")
        await self.users.set_password_hash(user.id, await self.passwords.hash(new_password))
        await self._revoke_sessions(user.id, self.clock(), keep=principal.session_id)
        log.info("user %s changed password", user.id)

    # -- login and sessions ---------------------------------------------------

    async def login(
        self, email: str, password: str, *, user_agent: str = "", address: str | None = None
    ) -> TokenPair:
        """Check the credentials and open a session.

        Raises:
            TooManyAttempts: the account or the address is locked out.
            InvalidCredentials: unknown email or wrong password (indistinguishable,
                also in time), or the password changed while this login was checked.
            AccountDisabled: right password, disabled account (also when it was
                disabled while this login was checked).
        """
        key = login_key(email)
        limits = [(self.settings.limit_login_account, _limit_key("login:account", key))]
        if address is not None:
            address_key = _limit_key("login:address", address_subject(address))
            limits.append((self.settings.limit_login_address, address_key))
        await self._reserve(limits)
        valid: bool | None = None
        try:
            user = await self.users.by_email(key) if is_storable(key) else None
            async with self._hash_turn(key):
                valid, new_hash = await self.passwords.check_login(
                    password, None if user is None else user.password_hash
                )
        finally:  # an error (not a wrong password) releases the claim uncounted
            await self._settle(limits, failed=valid is False)
        if user is None or not valid:
            raise InvalidCredentials("unknown email" if user is None else "wrong password")
        if user.is_disabled:
            raise AccountDisabled()
        return await self._open_session(user, new_hash, _clean_user_agent(user_agent))

    async def _open_session(self, user: User, new_hash: str | None, user_agent: str) -> TokenPair:
        """Store a new session, if the credentials that were just checked are still the
        account's: the store checks the password hash and the disabled mark in the
        transaction that inserts the session, so a password change or a disable that
        commits first makes this login fail, and one that commits later sees (and
        revokes) this session. Without it, logins in flight during a password change
        kept sessions that refreshing extended for ever."""
        now = self.clock()
        refresh = refresh_tokens.new_refresh_token()
        session = Session(
            id=str(uuid.uuid4()),
            user_id=user.id,
            created_at=to_datetime(now),
            last_used_at=to_datetime(now),
            expires_at=to_datetime(now + min(self.refresh_ttl, self.session_max_age)),
            user_agent=user_agent,
        )
        created = await self.sessions.create(
            session,
            refresh_tokens.hash_refresh_token(refresh),
            credential=user.password_hash,
            new_credential=new_hash,
        )
        if not created:
            current = await self.users.by_id(user.id)
            if current is not None and current.is_disabled:
                raise AccountDisabled()
            raise InvalidCredentials("the password changed during the login")
        for session_id in await self.sessions.trim(user.id, MAX_LIVE_SESSIONS, to_datetime(now)):
            await self._revoke_session_tokens(session_id, now)
        return self._token_pair(user, session, refresh, now)

    @contextlib.asynccontextmanager
    async def _hash_turn(self, account_key: str) -> AsyncIterator[None]:
        """Wait for one of the account's hashing slots (see ACCOUNT_HASH_SLOTS)."""
        semaphore, waiting = self._hash_turns.get(account_key, (None, 0))
        if semaphore is None:
            semaphore = asyncio.Semaphore(ACCOUNT_HASH_SLOTS)
        self._hash_turns[account_key] = (semaphore, waiting + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, waiting = self._hash_turns[account_key]
            if waiting == 1:
                del self._hash_turns[account_key]
            else:
                self._hash_turns[account_key] = (semaphore, waiting - 1)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate a refresh token: a new pair, the presented token retired.

        Raises:
            RefreshInvalid: unknown, expired or revoked.
            RefreshReused: a retired token came back; its session is now revoked.
        """
        if not refresh_tokens.is_plausible(refresh_token):
            raise RefreshInvalid("malformed")
        token_hash = refresh_tokens.hash_refresh_token(refresh_token)
        record = await self.sessions.find_refresh(token_hash)
        if record is None:
            raise RefreshInvalid("unknown refresh token")
        now = self.clock()
        if record.rotated_at is None:
            self._check_usable(record, now)
            successor = refresh_tokens.new_refresh_token()
            rotated = await self.sessions.rotate(
                record.session.id,
                token_hash,
                refresh_tokens.hash_refresh_token(successor),
                refresh_tokens.seal_successor(refresh_token, successor),
                to_datetime(now),
                to_datetime(min(now + self.refresh_ttl, self._session_end(record.session))),
            )
            if rotated:
                return self._token_pair(record.user, record.session, successor, now)
            record = await self.sessions.find_refresh(token_hash)  # lost a race
            if record is None:
                raise RefreshInvalid("unknown refresh token")
        return await self._replayed(refresh_token, record, now)

    async def _replayed(self, refresh_token: str, record: RefreshRecord, now: float) -> TokenPair:
        """A retired token came back: within the grace period, hand over its successor;
        otherwise it is reuse (RFC 9700 §4.14.2) and the whole session goes."""
        grace = self.settings.refresh_grace
        rotated_at = record.rotated_at.timestamp() if record.rotated_at else now
        if grace and record.successor_box and now - rotated_at <= grace:
            self._check_usable(record, now)
            successor = refresh_tokens.open_successor(refresh_token, record.successor_box)
            if successor is not None:
                current = await self._current_successor(successor)
                return self._token_pair(record.user, record.session, current, now)
        if record.session.revoked_at is None:
            log.warning("refresh token reuse: revoking session %s", record.session.id)
            await self._revoke_session(record.session.id, now)
        raise RefreshReused()

    async def _current_successor(self, token: str) -> str:
        """Follow rotations from ``token`` to the token in force: a token presented
        again within the grace period gets the current successor, not one that has
        been rotated since (which would itself be reuse once the grace ends)."""
        for _ in range(_MAX_SUCCESSORS):
            record = await self.sessions.find_refresh(refresh_tokens.hash_refresh_token(token))
            if record is None or record.rotated_at is None or not record.successor_box:
                return token
            successor = refresh_tokens.open_successor(token, record.successor_box)
            if successor is None:
                return token
            token = successor
        return token

    def _session_end(self, session: Session) -> float:
        """When a session ends however often it is refreshed (its absolute lifetime)."""
        return session.created_at.timestamp() + self.session_max_age

    def _check_usable(self, record: RefreshRecord, now: float) -> None:
        if record.session.revoked_at is not None:
            raise RefreshInvalid("session revoked")
        if record.expires_at.timestamp() <= now or record.session.expires_at.timestamp() <= now:
            raise RefreshInvalid("refresh token expired")
        if self._session_end(record.session) <= now:
            raise RefreshInvalid("session past its absolute lifetime")
        if record.user.is_disabled:
            raise RefreshInvalid("user disabled")

    def _token_pair(self, user: User, session: Session, refresh: str, now: float) -> TokenPair:
        token_id = csrf.access_token_id(refresh)
        access, _ = self.tokens.issue(
            user_id=user.id, email=user.email, session_id=session.id, now=now, token_id=token_id
        )
        refresh_left = min(self.refresh_ttl, self._session_end(session) - now)
        return TokenPair(
            access_token=access,
            expires_in=self.tokens.ttl,
            refresh_token=refresh,
            refresh_expires_in=max(int(refresh_left), 1),
            session_id=session.id,
            csrf_token=csrf.csrf_token(token_id),
        )

    def authenticate(self, token: str) -> Principal:
        """Verify an access token and check it is not revoked (no I/O).

        Raises:
            TokenExpired, TokenInvalid, TokenRevoked; ServiceUnavailable if the
            revocation state cannot be trusted.
        """
        principal = self.tokens.verify(token, self.clock())
        if self.revocations.is_revoked(
            principal.token_id, principal.session_id, principal.id, principal.issued_at
        ):
            raise TokenRevoked()
        return principal

    async def logout(self, principal: Principal) -> None:
        """Revoke the caller's session and the presented access token."""
        now = self.clock()
        await self.revocations.revoke(
            Revocation(kind="jti", subject=principal.token_id, expires_at=principal.expires_at)
        )
        if principal.session_id is not None:
            await self.sessions.revoke(principal.session_id, to_datetime(now))
            await self._revoke_session_tokens(principal.session_id, now)

    async def logout_all(self, principal: Principal) -> None:
        """Revoke every session of the caller and every access token issued before now."""
        now = self.clock()
        await self._revoke_sessions(principal.id, now)
        await self.revocations.revoke(
            Revocation(
                kind="user",
                subject=principal.id,
                cutoff=int(now),
                expires_at=self._access_horizon(now),
            )
        )

    async def list_sessions(self, principal: Principal) -> Sequence[Session]:
        """The caller's active sessions, newest first."""
        return await self.sessions.list_active(principal.id, to_datetime(self.clock()))

    async def revoke_session(self, principal: Principal, session_id: str) -> None:
        """Revoke one of the caller's sessions.

        Raises:
            NotFound: no such active session of the caller's.
        """
        session = await self.sessions.get(session_id)
        if session is None or session.user_id != principal.id or session.revoked_at is not None:
            raise NotFound("no such session")
        await self._revoke_session(session_id, self.clock())

    # -- revocation helpers ----------------------------------------------------

    def _access_horizon(self, now: float) -> int:
        """No access token issued up to ``now`` is valid after this instant."""
        return int(now) + self.tokens.ttl + self.settings.leeway + 1

    async def _revoke_session(self, session_id: str, now: float) -> None:
        await self.sessions.revoke(session_id, to_datetime(now))
        await self._revoke_session_tokens(session_id, now)

    async def _revoke_session_tokens(self, session_id: str, now: float) -> None:
        await self.revocations.revoke(
            Revocation(kind="sid", subject=session_id, expires_at=self._access_horizon(now))
        )

    async def _revoke_sessions(self, user_id: str, now: float, keep: str | None = None) -> None:
        for session_id in await self.sessions.revoke_all(user_id, to_datetime(now), keep=keep):
            await self._revoke_session_tokens(session_id, now)

    # -- rate limits -----------------------------------------------------------

    async def _reserve(self, limits: list[tuple[str, str]]) -> None:
        """Claim an attempt under every limit, or none (TooManyAttempts)."""
        if self.limiter is None:
            return
        claimed: list[tuple[str, str]] = []
        try:
            for limit, key in limits:
                if _is_off(limit):
                    continue
                wait = await self.limiter.reserve(limit, key)
                if wait:
                    raise TooManyAttempts(wait, key.rsplit(":", 1)[0])
                claimed.append((limit, key))
        except BaseException:
            await self._settle(claimed, failed=False)
            raise

    async def _settle(self, limits: list[tuple[str, str]], *, failed: bool) -> None:
        if self.limiter is None:
            return
        for limit, key in limits:
            if not _is_off(limit):
                await self.limiter.settle(limit, key, failed=failed)

    async def _count(self, limit: str, key: str) -> None:
        if self.limiter is not None and not _is_off(limit):
            wait = await self.limiter.hit(limit, key)
            if wait:
                raise TooManyAttempts(wait, key.split(":", 1)[0])

    # -- housekeeping ------------------------------------------------------------

    async def purge(self) -> None:
        """Forget expired sessions, refresh tokens and revocations."""
        now = self.clock()
        await self.sessions.purge(to_datetime(now))
        await self.revocations.purge(int(now))

    async def run_housekeeping(self, interval: float = 300.0) -> None:
        """Purge now and then, forever (run it as a background task)."""
        while True:
            try:
                await self.purge()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed purge is retried; requests never wait on it
                log.exception("housekeeping failed; will retry")
            await asyncio.sleep(interval)
