"""What the provider publishes of itself (OpenID Connect Discovery 1.0) and how its
answers travel back to a client (query parameters on the redirect URI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from authgate.core.oidc import SCOPES_SUPPORTED, AuthorizationRequest, OAuthError

GRANT_TYPES = ("authorization_code", "refresh_token")
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


def with_params(uri: str, params: Mapping[str, str | None]) -> str:
    """``uri`` with ``params`` added to its query (RFC 6749 §3.1.2: the registered
    URI's own query is kept)."""
    parts = urlsplit(uri)
    added = urlencode({name: value for name, value in params.items() if value is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def error_redirect(request: AuthorizationRequest, error: OAuthError, issuer: str) -> str:
    """The redirect of a refused authorization request (RFC 6749 §4.1.2.1; RFC 9207)."""
    params = {"error": error.error, "error_description": error.description}
    return with_params(request.redirect_uri, {**params, "state": request.state, "iss": issuer})


def discovery_document(base: str) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3, for the issuer ``base``."""
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(SCOPES_SUPPORTED),
        "claims_supported": ["sub", "email", "email_verified", "auth_time", "amr", "nonce"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "authorization_response_iss_parameter_supported": True,
    }
