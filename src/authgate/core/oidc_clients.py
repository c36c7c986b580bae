"""Registered clients (``authgate client``) and the consents users gave them."""

from __future__ import annotations

from collections.abc import Sequence

from authgate.core.context import to_datetime
from authgate.core.digests import token_digest
from authgate.core.errors import NotFound, ValidationFailed
from authgate.core.models import Principal
from authgate.core.oidc import (
    Client,
    check_redirect_uri,
    is_client_id,
    new_client_id,
    new_secret,
)
from authgate.core.oidc_ports import Consent, OidcStore
from authgate.core.revoker import Revoker

MAX_NAME_CHARS = 100


class OidcClients:
    """Register, list and delete clients; list and revoke a user's consents."""

    def __init__(self, store: OidcStore, revoker: Revoker) -> None:
        self.store = store
        self.revoker = revoker

    async def create(
        self, name: str, redirect_uris: Sequence[str], *, public: bool, first_party: bool
    ) -> tuple[Client, str | None]:
        """A new client and its secret (None for a public client), shown once: only
        its SHA-256 is kept.

        Raises:
            ValidationFailed: a blank or long name, no redirect URI or a bad one.
        """
        name = name.strip()
        if not name or len(name) > MAX_NAME_CHARS:
            raise ValidationFailed(f"the name must be 1 to {MAX_NAME_CHARS} characters")
        if not redirect_uris:
            raise ValidationFailed("at least one --redirect-uri is required")
        try:
            uris = tuple(dict.fromkeys(check_redirect_uri(uri) for uri in redirect_uris))
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from None
        secret = None if public else new_secret()
        client = Client(
            id=new_client_id(),
            name=name,
            secret_hash=None if secret is None else token_digest(secret),
            redirect_uris=uris,
            first_party=first_party,
            created_at=to_datetime(self.revoker.context.clock()),
        )
        await self.store.add_client(client)
        return client, secret

    async def list(self) -> Sequence[Client]:
        return await self.store.clients()

    async def delete(self, client_id: str) -> None:
        """Delete a client; the sessions it held end.

        Raises:
            NotFound: no such client.
        """
        sessions = await self.store.delete_client(client_id) if is_client_id(client_id) else None
        if sessions is None:
            raise NotFound("no such client")
        await self._end(sessions)

    async def consents(self, principal: Principal) -> Sequence[Consent]:
        return await self.store.consents(principal.id)

    async def revoke_consent(self, principal: Principal, client_id: str) -> None:
        """Withdraw the caller's consent to a client; its sessions of theirs end.

        Raises:
            NotFound: no consent of the caller's for that client.
        """
        sessions = (
            await self.store.revoke_consent(principal.id, client_id)
            if is_client_id(client_id)
            else None
        )
        if sessions is None:
            raise NotFound("no such consent")
        await self._end(sessions)

    async def _end(self, sessions: Sequence[str]) -> None:
        now = self.revoker.context.clock()
        for session_id in sessions:
            await self.revoker.session(session_id, now)
