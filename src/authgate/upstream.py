"""Talking to other providers (AUTHGATE_OIDC_PROVIDERS): discovery, the code
exchange, the ID token's signature from the provider's JWKS, userinfo, and GitHub's
user API (GitHub speaks OAuth 2.0, not OpenID Connect).

The checks are core's (:func:`authgate.core.federation.check_id_token`,
:func:`authgate.core.jose.signed_claims`); this module is the network. Every failure
is :class:`UpstreamFailed`, whose message is for the log only. httpx (~6 MB of a
process) is imported by the first call to a provider, so a server without
``AUTHGATE_OIDC_PROVIDERS`` never carries it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from authgate.core import jose
from authgate.core.errors import TokenInvalid
from authgate.core.federation import ExternalIdentity, check_id_token
from authgate.core.jose import SigningKey, TokenRules
from authgate.core.upstream_settings import UpstreamProvider

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("authgate.upstream")

GITHUB_AUTHORIZE = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN = "https://github.com/login/oauth/access_token"
GITHUB_API = "https://api.github.com"
TIMEOUT = 10.0
METADATA_TTL = 3600.0


@functools.cache
def _httpx() -> ModuleType:
    """httpx, imported on first use."""
    import httpx

    return httpx


class UpstreamFailed(Exception):
    """The provider could not be reached or its answer did not check out."""


def s256(verifier: str) -> str:
    """RFC 7636 §4.2."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Keys:
    """The provider's JWKS as a key lookup for :func:`jose.signed_claims`."""

    def __init__(self, jwks: Any, algorithms: frozenset[str]) -> None:
        self.keys: dict[str | None, SigningKey] = {}
        for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            try:
                key = jose.key_from_jwk({"alg": "RS256", **jwk}, algorithms)
            except ValueError:
                continue
            self.keys[key.kid] = key

    def key_for(self, kid: str | None) -> SigningKey | None:
        return self.keys.get(kid)


class Upstream:
    """The providers' endpoints, with their discovery documents cached an hour."""

    def __init__(self, *, leeway: int, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.leeway = leeway
        self.transport = transport
        self._metadata: dict[str, tuple[float, dict[str, Any]]] = {}

    def _client(self) -> httpx.AsyncClient:
        client: httpx.AsyncClient = _httpx().AsyncClient(timeout=TIMEOUT, transport=self.transport)
        return client

    async def metadata(self, provider: UpstreamProvider, now: float) -> dict[str, Any]:
        """The issuer's OpenID Connect discovery document (Discovery 1.0 §4)."""
        assert provider.issuer is not None  # noqa: S101 (GitHub has none: never called)
        cached = self._metadata.get(provider.issuer)
        if cached is not None and now - cached[0] < METADATA_TTL:
            return cached[1]
        document = await self._get_json(f"{provider.issuer}/.well-known/openid-configuration")
        if document.get("issuer") != provider.issuer:  # Discovery 1.0 §4.3
            raise UpstreamFailed(f"{provider.name}: the discovery document names another issuer")
        self._metadata[provider.issuer] = (now, document)
        return document

    async def authorization_url(
        self, provider: UpstreamProvider, *, redirect_uri: str, state: str, nonce: str,
        verifier: str, now: float,
    ) -> str:  # fmt: skip
        params = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": provider.scope,
            "state": state,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        if provider.is_github:
            return f"{GITHUB_AUTHORIZE}?{urlencode(params)}"
        endpoint = (await self.metadata(provider, now)).get("authorization_endpoint")
        if not isinstance(endpoint, str):
            raise UpstreamFailed(f"{provider.name}: no authorization_endpoint")
        return f"{endpoint}?{urlencode({**params, 'nonce': nonce})}"

    async def identity(
        self, provider: UpstreamProvider, *, code: str, redirect_uri: str, verifier: str,
        nonce: str, now: float,
    ) -> ExternalIdentity:  # fmt: skip
        """Exchange the code; who signed in.

        Raises:
            UpstreamFailed: the exchange or a check failed.
        """
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": provider.client_id,
        }
        if provider.client_secret is not None:
            form["client_secret"] = provider.client_secret  # client_secret_post
        if provider.is_github:
            tokens = await self._post_json(GITHUB_TOKEN, form)
            return await self._github_identity(provider, str(tokens.get("access_token", "")))
        metadata = await self.metadata(provider, now)
        tokens = await self._post_json(str(metadata.get("token_endpoint")), form)
        claims = await self._id_token_claims(provider, metadata, tokens, nonce, now)
        if "email" not in claims:
            claims = {**claims, **await self._userinfo(metadata, tokens)}
        email = claims.get("email")
        if not isinstance(email, str):
            raise UpstreamFailed(f"{provider.name}: no email")
        return ExternalIdentity(
            provider=provider.name,
            subject=str(claims["sub"]),
            email=email,
            email_verified=claims.get("email_verified") is True,
        )

    async def _id_token_claims(
        self,
        provider: UpstreamProvider,
        metadata: dict[str, Any],
        tokens: dict[str, Any],
        nonce: str,
        now: float,
    ) -> dict[str, Any]:
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise UpstreamFailed(f"{provider.name}: no id_token")
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = frozenset(a for a in offered if a in jose.ASYMMETRIC_ALGORITHMS)
        keys = _Keys(await self._get_json(str(metadata.get("jwks_uri"))), algorithms)
        try:
            claims = jose.signed_claims(id_token, keys, TokenRules(algorithms=algorithms))
            check_id_token(
                claims,
                issuer=str(provider.issuer),
                client_id=provider.client_id,
                nonce=nonce,
                now=now,
                leeway=self.leeway,
            )
        except (ValueError, TokenInvalid) as exc:
            raise UpstreamFailed(f"{provider.name}: id_token refused: {exc}") from None
        return claims

    async def _userinfo(self, metadata: dict[str, Any], tokens: dict[str, Any]) -> dict[str, Any]:
        endpoint = metadata.get("userinfo_endpoint")
        if not isinstance(endpoint, str):
            return {}
        info = await self._get_json(endpoint, token=str(tokens.get("access_token", "")))
        return {k: info[k] for k in ("email", "email_verified") if k in info}

    async def _github_identity(self, provider: UpstreamProvider, token: str) -> ExternalIdentity:
        user = await self._get_json(f"{GITHUB_API}/user", token=token)
        emails = await self._get_json(f"{GITHUB_API}/user/emails", token=token, listing=True)
        primary = next((e for e in emails["items"] if e.get("primary")), None)
        if not isinstance(user.get("id"), int) or primary is None:
            raise UpstreamFailed("github: no user id or no primary email")
        return ExternalIdentity(
            provider=provider.name,
            subject=str(user["id"]),
            email=str(primary.get("email")),
            email_verified=primary.get("verified") is True,
        )

    async def _get_json(
        self, url: str, *, token: str | None = None, listing: bool = False
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await self._json("GET", url, headers=headers, listing=listing)

    async def _post_json(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        return await self._json("POST", url, headers={"Accept": "application/json"}, data=form)

    async def _json(
        self, method: str, url: str, *, listing: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            async with self._client() as http:
                response = await http.request(method, url, **kwargs)
            response.raise_for_status()
            body = response.json()
        except (_httpx().HTTPError, ValueError) as exc:
            raise UpstreamFailed(f"{method} {url}: {type(exc).__name__}: {exc}") from None
        if listing and isinstance(body, list):
            return {"items": [item for item in body if isinstance(item, dict)]}
        if not isinstance(body, dict):
            raise UpstreamFailed(f"{method} {url}: not a JSON object")
        return body
