"""The OpenID provider's ports: its store and its signing keys (API.md §3.4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from authgate.core.jose import SigningKey
from authgate.core.oidc import Client, CodeGrant


@dataclass(frozen=True, slots=True, kw_only=True)
class Consent:
    """A user's consent to a client for a set of scopes."""

    client: Client
    scope: str
    created_at: datetime


class OidcStore(Protocol):
    """Clients, codes, the sessions a client holds, consents."""

    async def add_client(self, client: Client) -> None: ...

    async def client(self, client_id: str) -> Client | None: ...

    async def clients(self) -> Sequence[Client]: ...

    async def delete_client(self, client_id: str) -> list[str] | None:
        """Delete a client (its codes, consents and session bindings go with it);
        the ids of the sessions it held, or None if there was no such client."""
        ...

    async def save_code(self, grant: CodeGrant) -> None: ...

    async def find_code(self, code_hash: str) -> CodeGrant | None: ...

    async def use_code(self, code_hash: str, session_id: str | None, now: datetime) -> bool:
        """Mark a live code used (recording the session it opens); False if it was
        used already or expired (the one winner of a race)."""
        ...

    async def bind_session(self, session_id: str, client_id: str, scope: str) -> None: ...

    async def session_client(self, session_id: str) -> tuple[str, str] | None:
        """The client id and scope of a session issued through a client, else None."""
        ...

    async def consent_scope(self, user_id: str, client_id: str) -> str | None: ...

    async def save_consent(self, user_id: str, client_id: str, scope: str, now: datetime) -> None:
        """Record (or widen) a consent."""
        ...

    async def consents(self, user_id: str) -> Sequence[Consent]: ...

    async def revoke_consent(self, user_id: str, client_id: str) -> list[str] | None:
        """Forget a consent; the ids of the user's sessions held by that client, or
        None if there was no such consent."""
        ...

    async def purge(self, now: datetime) -> None: ...


class IdTokenKeys(Protocol):
    """The RS256 key that signs ID tokens (OIDC Core §15.1: the one algorithm every
    client supports), whatever AUTHGATE_ALGORITHM is."""

    def signing_key(self, now: float) -> SigningKey:
        """The key in force (made on first use)."""
        ...

    def jwks(self, now: float) -> list[dict[str, Any]]:
        """The public keys of ID tokens still valid at ``now``."""
        ...
