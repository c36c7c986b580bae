"""In-memory implementations of the ports: for unit tests and embedding, one process."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from authgate.core.errors import EmailTaken
from authgate.core.models import NewSession, RefreshRecord, Revocation, Rotation, Session, User


@dataclasses.dataclass(slots=True)
class _Refresh:
    session_id: str
    expires_at: datetime
    rotated_at: datetime | None = None
    successor_box: bytes | None = None


class MemoryUsers:
    def __init__(self) -> None:
        self._by_id: dict[str, User] = {}
        self._keys: dict[str, str] = {}

    async def add(self, user: User, email_key: str) -> None:
        if email_key in self._keys:
            raise EmailTaken()
        self._keys[email_key] = user.id
        self._by_id[user.id] = user

    async def add_many(self, new: Sequence[tuple[User, str]]) -> set[str]:
        taken = await self.taken([key for _, key in new])
        for user, key in new:
            if key not in taken:
                await self.add(user, key)
        return taken

    async def taken(self, email_keys: Sequence[str]) -> set[str]:
        return {key for key in email_keys if key in self._keys}

    async def by_email(self, email_key: str) -> User | None:
        user_id = self._keys.get(email_key)
        return None if user_id is None else self._by_id[user_id]

    async def by_id(self, user_id: str) -> User | None:
        return self._by_id.get(user_id)

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self._by_id[user_id] = dataclasses.replace(
            self._by_id[user_id], password_hash=password_hash
        )

    async def set_roles(self, user_id: str, roles: Sequence[str]) -> None:
        self._by_id[user_id] = dataclasses.replace(self._by_id[user_id], roles=tuple(roles))

    async def disable(self, user_id: str, when: datetime) -> None:
        self._by_id[user_id] = dataclasses.replace(self._by_id[user_id], disabled_at=when)

    async def enable(self, user_id: str) -> None:
        self._by_id[user_id] = dataclasses.replace(self._by_id[user_id], disabled_at=None)

    async def each(self) -> AsyncIterator[User]:
        for user in sorted(self._by_id.values(), key=lambda u: (u.created_at, u.id)):
            yield user


class MemorySessions:
    def __init__(self, users: MemoryUsers) -> None:
        self._users = users
        self._sessions: dict[str, Session] = {}
        self._refresh: dict[str, _Refresh] = {}

    async def create(self, new: NewSession) -> bool:
        session = new.session
        user = await self._users.by_id(session.user_id)
        if user is None or user.is_disabled or user.password_hash != new.credential:
            return False
        if new.upgraded is not None:
            await self._users.set_password_hash(user.id, new.upgraded)
        self._sessions[session.id] = session
        self._refresh[new.refresh_hash] = _Refresh(session.id, session.expires_at)
        return True

    async def trim(self, user_id: str, keep: int, now: datetime) -> list[str]:
        ids = [s.id for s in await self.list_active(user_id, now)][keep:]
        for session_id in ids:
            await self.revoke(session_id, now)
        return ids

    async def find_refresh(self, refresh_hash: str) -> RefreshRecord | None:
        row = self._refresh.get(refresh_hash)
        if row is None:
            return None
        session = self._sessions[row.session_id]
        user = await self._users.by_id(session.user_id)
        if user is None:
            return None
        return RefreshRecord(
            session=session,
            user=user,
            expires_at=row.expires_at,
            rotated_at=row.rotated_at,
            successor_box=row.successor_box,
        )

    async def rotate(self, rotation: Rotation) -> bool:
        row = self._refresh.get(rotation.old_hash)
        if row is None or row.rotated_at is not None:
            return False
        row.rotated_at, row.successor_box = rotation.now, rotation.successor_box
        self._refresh[rotation.new_hash] = _Refresh(row.session_id, rotation.expires_at)
        session = self._sessions[row.session_id]
        self._sessions[session.id] = dataclasses.replace(
            session, last_used_at=rotation.now, expires_at=rotation.expires_at
        )
        return True

    async def revoke(self, session_id: str, now: datetime) -> bool:
        session = self._sessions.get(session_id)
        if session is None or session.revoked_at is not None:
            return False
        self._sessions[session_id] = dataclasses.replace(session, revoked_at=now)
        return True

    async def revoke_all(self, user_id: str, now: datetime, keep: str | None = None) -> list[str]:
        ids = [
            s.id
            for s in self._sessions.values()
            if s.user_id == user_id and s.revoked_at is None and s.id != keep
        ]
        for session_id in ids:
            await self.revoke(session_id, now)
        return ids

    async def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    async def list_active(self, user_id: str, now: datetime) -> Sequence[Session]:
        active = [
            s
            for s in self._sessions.values()
            if s.user_id == user_id and s.revoked_at is None and s.expires_at > now
        ]
        return sorted(active, key=lambda s: s.created_at, reverse=True)

    async def purge(self, now: datetime) -> int:
        gone = {sid for sid, s in self._sessions.items() if s.expires_at <= now}
        stale = [h for h, r in self._refresh.items() if r.session_id in gone or r.expires_at <= now]
        for h in stale:
            del self._refresh[h]
        for sid in gone:
            del self._sessions[sid]
        return len(gone) + len(stale)


class MemoryRevocationStore:
    def __init__(self) -> None:
        self.rows: list[tuple[Revocation, int]] = []

    async def add(self, revocation: Revocation, recorded_at: int) -> None:
        self.rows.append((revocation, recorded_at))

    async def active(self, now: int, recorded_since: int | None = None) -> Sequence[Revocation]:
        since = -math.inf if recorded_since is None else recorded_since
        return [r for r, at in self.rows if r.expires_at > now and at >= since]

    async def pages(self, now: int) -> AsyncIterator[Sequence[Revocation]]:
        yield await self.active(now)

    async def purge(self, now: int) -> int:
        before = len(self.rows)
        self.rows = [(r, at) for r, at in self.rows if r.expires_at > now]
        return before - len(self.rows)
