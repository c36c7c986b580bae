"""authgate as an OpenID Provider: codes, tokens, userinfo, revocation (API.md §3.4).

Protocol checks are :mod:`authgate.core.oidc`'s; this module runs them against the
stores. A code exchange opens an ordinary session (listed in ``GET /auth/sessions``,
ended by logout-all) bound to the client, whose refresh tokens are the session's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from authgate.core import jose
from authgate.core import refresh as refresh_tokens
from authgate.core.context import to_datetime
from authgate.core.digests import token_digest
from authgate.core.errors import AuthError, RefreshError
from authgate.core.models import Principal, Revocation, TokenPair, User
from authgate.core.oidc import (
    CODE_TTL,
    AuthorizationRequest,
    Client,
    CodeGrant,
    OAuthError,
    id_token_claims,
    is_client_id,
    new_secret,
    single,
    verifier_matches,
)
from authgate.core.oidc_metadata import discovery_document, with_params
from authgate.core.oidc_ports import IdTokenKeys, OidcStore
from authgate.core.service import AuthService


class OidcProvider:
    """The provider's operations over its store, its keys and the AuthService."""

    def __init__(self, service: AuthService, store: OidcStore, keys: IdTokenKeys) -> None:
        self.service = service
        self.store = store
        self.keys = keys
        self.issuer = service.settings.public_url.rstrip("/")

    # -- authorization ---------------------------------------------------------------

    async def needs_consent(self, request: AuthorizationRequest, user_id: str) -> bool:
        """Whether the user must still consent (never for a first-party client)."""
        if request.client.first_party:
            return False
        given = await self.store.consent_scope(user_id, request.client.id)
        return given is None or not set(request.scope.split()) <= set(given.split())

    async def consent(self, request: AuthorizationRequest, principal: Principal) -> None:
        """Record the user's consent to this client and scope set."""
        given = await self.store.consent_scope(principal.id, request.client.id) or ""
        scope = " ".join(sorted(set(given.split()) | set(request.scope.split())))
        await self.store.save_consent(
            principal.id, request.client.id, scope, to_datetime(self.service.clock())
        )

    async def issue_code(self, request: AuthorizationRequest, principal: Principal) -> str:
        """A new code for the signed-in ``principal``; the redirect that carries it."""
        now = self.service.clock()
        code = new_secret()
        await self.store.save_code(
            CodeGrant(
                code_hash=token_digest(code),
                client_id=request.client.id,
                user_id=principal.id,
                redirect_uri=request.redirect_uri,
                scope=request.scope,
                nonce=request.nonce,
                code_challenge=request.code_challenge,
                auth_time=principal.auth_time,
                amr=principal.amr,
                origin_jti=principal.token_id,
                origin_session=principal.session_id,
                origin_iat=principal.issued_at,
                created_at=to_datetime(now),
                expires_at=to_datetime(now + CODE_TTL),
            )
        )
        params = {"code": code, "state": request.state, "iss": self.issuer}
        return with_params(request.redirect_uri, params)

    # -- the token endpoint ----------------------------------------------------------

    async def authenticate_client(self, client_id: str | None, secret: str | None) -> Client:
        """The client of a token or revocation request (RFC 6749 §2.3; public: none).

        Raises:
            OAuthError: ``invalid_client`` (401).
        """
        client = await self.store.client(client_id) if is_client_id(client_id) else None
        if client is None:
            raise _bad_client("unknown client")
        if client.is_public:
            if secret is not None:
                raise _bad_client("a public client has no secret")
            return client
        if secret is None or not client.secret_matches(secret):
            raise _bad_client("client authentication failed")
        return client

    async def token(self, client: Client, form: Mapping[str, list[str]]) -> dict[str, Any]:
        """The token response of a grant (RFC 6749 §5.1, OIDC Core §3.1.3.3).

        Raises:
            OAuthError: ``unsupported_grant_type``, ``invalid_grant``,
                ``invalid_request``, ``invalid_scope``.
        """
        grant_type = single(form, "grant_type")
        if grant_type == "authorization_code":
            return await self._exchange(client, form)
        if grant_type == "refresh_token":
            return await self._refresh(client, form)
        if grant_type is None:
            raise OAuthError("invalid_request", "grant_type is required")
        raise OAuthError("unsupported_grant_type", "use authorization_code or refresh_token")

    async def _exchange(self, client: Client, form: Mapping[str, list[str]]) -> dict[str, Any]:
        code, verifier = single(form, "code"), single(form, "code_verifier")
        if code is None:
            raise OAuthError("invalid_request", "code is required")
        grant = await self.store.find_code(token_digest(code))
        now = self.service.clock()
        if grant is None or grant.client_id != client.id:
            raise OAuthError("invalid_grant", "unknown code")
        if grant.used_at is not None:
            await self._revoke_issued(grant, now)
            raise OAuthError("invalid_grant", "the code was used already")
        if grant.expires_at.timestamp() <= now:
            raise OAuthError("invalid_grant", "the code expired")
        if single(form, "redirect_uri") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization's")
        if not verifier_matches(verifier, grant.code_challenge):
            await self.store.use_code(grant.code_hash, None, to_datetime(now))  # burnt
            raise OAuthError("invalid_grant", "code_verifier does not match (PKCE)")
        user = await self._user_behind(grant)
        session_id = str(uuid.uuid4())
        if not await self.store.use_code(grant.code_hash, session_id, to_datetime(now)):
            raise OAuthError("invalid_grant", "the code was used already")
        try:
            pair = await self.service.logins.open_verified(
                user,
                user.password_hash,
                f"{client.name} (OpenID Connect)",
                grant.amr,
                session_id=session_id,
                auth_time=grant.auth_time,
            )
        except AuthError:
            raise OAuthError("invalid_grant", "the sign-in behind the code ended") from None
        await self.store.bind_session(session_id, client.id, grant.scope)
        return self._response(client, user, pair, grant, grant.scope, grant.auth_time, grant.amr)

    async def _user_behind(self, grant: CodeGrant) -> User:
        """The code's user, if the sign-in that made the code still stands (no logout,
        logout-all, password change or disable since)."""
        revoked = self.service.revocations.is_revoked(
            grant.origin_jti, grant.origin_session, grant.user_id, grant.origin_iat
        )
        user = await self.service.users.by_id(grant.user_id)
        if revoked or user is None or user.is_disabled:
            raise OAuthError("invalid_grant", "the sign-in behind the code ended")
        return user

    async def _revoke_issued(self, grant: CodeGrant, now: float) -> None:
        """RFC 6749 §4.1.2: a code used twice revokes what it issued."""
        if grant.session_id is not None:
            await self.service.logins.revoker.session(grant.session_id, now)

    async def _refresh(self, client: Client, form: Mapping[str, list[str]]) -> dict[str, Any]:
        token = single(form, "refresh_token")
        if token is None:
            raise OAuthError("invalid_request", "refresh_token is required")
        bound = await self._bound_session(client, token)
        if bound is None:
            raise OAuthError("invalid_grant", "unknown refresh token")
        scope = bound[1]
        asked = single(form, "scope")
        if asked is not None and not set(asked.split()) <= set(scope.split()):
            raise OAuthError("invalid_scope", "more than was granted")
        try:
            pair = await self.service.refresh(token)
        except RefreshError:
            raise OAuthError("invalid_grant", "the refresh token is not valid") from None
        principal = self.service.authenticate(pair.access_token)
        user = await self.service.users.by_id(principal.id)
        if user is None:
            raise OAuthError("invalid_grant", "the refresh token is not valid")
        return self._response(client, user, pair, None, scope, principal.auth_time, principal.amr)

    async def _bound_session(self, client: Client, token: str) -> tuple[str, str] | None:
        """The session id and scope of a refresh token issued to ``client``."""
        if not refresh_tokens.is_plausible(token):
            return None
        record = await self.service.sessions.find_refresh(refresh_tokens.hash_refresh_token(token))
        if record is None:
            return None
        bound = await self.store.session_client(record.session.id)
        if bound is None or bound[0] != client.id:
            return None
        return record.session.id, bound[1]

    def _response(
        self,
        client: Client,
        user: User,
        pair: TokenPair,
        grant: CodeGrant | None,
        scope: str,
        auth_time: int,
        amr: tuple[str, ...],
    ) -> dict[str, Any]:
        now = self.service.clock()
        claims = id_token_claims(
            issuer=self.issuer,
            grant=grant,
            client_id=client.id,
            user_id=user.id,
            email=user.email,
            email_verified=user.email_verified,
            auth_time=auth_time,
            amr=amr,
            scope=scope,
            access_token=pair.access_token,
            now=int(now),
            ttl=self.service.tokens.ttl,
        )
        return {
            "access_token": pair.access_token,
            "token_type": "Bearer",
            "expires_in": pair.expires_in,
            "refresh_token": pair.refresh_token,
            "id_token": jose.sign(claims, self.keys.signing_key(now)),
            "scope": scope,
        }

    def discovery(self) -> dict[str, Any]:
        """OpenID Connect Discovery 1.0 §3."""
        return discovery_document(self.issuer)

    # -- userinfo, revocation ----------------------------------------------------------

    async def userinfo(self, principal: Principal) -> dict[str, Any]:
        """OIDC Core §5.3: the claims of the token's user (§5.4 ``email``).

        Raises:
            OAuthError: ``invalid_token`` (401) if the user is gone.
        """
        user = await self.service.users.by_id(principal.id)
        if user is None or user.is_disabled:
            raise OAuthError("invalid_token", "no such user", status=401)
        return {"sub": user.id, "email": user.email, "email_verified": user.email_verified}

    async def revoke(self, client: Client, token: str) -> None:
        """RFC 7009 §2.1: revoke a refresh token (its whole session) or an access
        token issued to ``client``; anything else is ignored (§2.2: still 200)."""
        now = self.service.clock()
        bound = await self._bound_session(client, token)
        if bound is not None:
            await self.service.logins.revoker.session(bound[0], now)
            return
        try:
            principal = self.service.tokens.verify(token, now)
        except AuthError:
            return
        if principal.session_id is None:
            return
        owner = await self.store.session_client(principal.session_id)
        if owner is not None and owner[0] == client.id:
            await self.service.revocations.revoke(
                Revocation(kind="jti", subject=principal.token_id, expires_at=principal.expires_at)
            )


def _bad_client(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, status=401)  # RFC 6749 §5.2
