"""The seams of second factors: what :mod:`~authgate.core.mfa` and
:mod:`~authgate.core.passkeys` need from storage (SQL: ``storage/sql/mfa.py``,
``storage/sql/passkeys.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from authgate.core.models import MfaChallenge, Passkey, TotpFactor, WebauthnFlow


class MfaStore(Protocol):
    """Authenticator apps (secrets sealed at rest), recovery codes (hashed), and the
    sign-ins waiting for their second factor (API.md §3.2)."""

    async def totp(self, user_id: str) -> TotpFactor | None: ...

    async def put_pending(self, factor: TotpFactor) -> bool:
        """Store an unconfirmed factor, replacing an unconfirmed one. False: the user
        has a confirmed factor (nothing changed)."""
        ...

    async def confirm(self, user_id: str, step: int, now: datetime, codes: Sequence[str]) -> bool:
        """Confirm the pending factor (``step`` used) and set its recovery code hashes,
        in one transaction. False: nothing pending."""
        ...

    async def use_step(self, user_id: str, step: int) -> bool:
        """Accept a code of time step ``step`` once: False if one of that step or a
        later one was accepted already (a replay), or there is no confirmed factor."""
        ...

    async def replace_codes(self, user_id: str, codes: Sequence[str]) -> None:
        """Void every recovery code of the user and store these hashes instead."""
        ...

    async def use_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        """Use an unused recovery code up. False: unknown or used."""
        ...

    async def remove(self, user_id: str) -> bool:
        """Remove the factor and the recovery codes. False: there was none."""
        ...

    async def open_challenge(self, challenge: MfaChallenge) -> None: ...

    async def challenge(self, token_hash: str) -> MfaChallenge | None: ...

    async def fail_challenge(self, token_hash: str) -> None:
        """Count a wrong code against the challenge."""
        ...

    async def close_challenge(self, token_hash: str, now: datetime) -> bool:
        """Use the challenge up. False: used meanwhile."""
        ...

    async def purge(self, now: datetime) -> None:
        """Forget challenges expired before ``now``."""
        ...


class PasskeyStore(Protocol):
    """Users' WebAuthn credentials and the ceremonies in flight (API.md §3.2)."""

    async def add(self, passkey: Passkey) -> bool:
        """Store a new passkey. False: that credential is registered already."""
        ...

    async def list(self, user_id: str) -> Sequence[Passkey]: ...

    async def count(self, user_id: str) -> int:
        """How many passkeys the user has (without reading them)."""
        ...

    async def by_credential(self, credential_id: str) -> Passkey | None: ...

    async def rename(self, user_id: str, passkey_id: str, name: str) -> Passkey | None: ...

    async def delete(self, user_id: str, passkey_id: str) -> bool: ...

    async def delete_all(self, user_id: str) -> None: ...

    async def used(self, passkey: Passkey, sign_count: int, now: datetime) -> bool:
        """Record a sign-in: the counter moves from ``passkey.sign_count`` to
        ``sign_count``. False: another sign-in moved it first (a replay)."""
        ...

    async def open_flow(self, flow: WebauthnFlow) -> None: ...

    async def take_flow(self, key_hash: str, now: datetime) -> WebauthnFlow | None:
        """The live flow with this key, used up (single use); None if unknown, used
        or expired."""
        ...

    async def purge(self, now: datetime) -> None:
        """Forget flows expired before ``now``."""
        ...
