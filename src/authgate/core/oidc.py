"""OpenID Connect provider: its values and the checks of a request (API.md §3.4).

Pure: no I/O, no clock. The checks follow RFC 6749 (OAuth 2.0), RFC 7636 (PKCE,
``S256`` only) and OpenID Connect Core 1.0 §3.1; the error of each refusal is the
protocol's own code (:class:`OAuthError`), never the contract's ``{detail, code}``.

Errors in an authorization request come in two kinds (RFC 6749 §4.1.2.1): with an
unknown client or a redirect URI that is not one of the client's, exactly as
registered, the user must *not* be sent anywhere (``redirect=False``: a plain 400
page); every other refusal goes back to the client's redirect URI.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeGuard
from urllib.parse import urlsplit

from authgate.core.digests import token_digest

#: RFC 6749 §4.1.2: "a maximum authorization code lifetime of 10 minutes is
#: RECOMMENDED"; ours is 60 s (API.md §3.4).
CODE_TTL = 60
SCOPES_SUPPORTED = ("openid", "email")
#: RFC 7636 §4.1: 43 to 128 characters of the unreserved set.
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
MAX_PARAM_CHARS = 2048
MAX_NONCE_CHARS = 512  # the column's width
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
#: Schemes a browser runs, reads locally or cannot return a code through: never a
#: redirect URI (RFC 9700 §4.1; a ``javascript:`` one would run in the page that
#: sends the user back, ours).
REFUSED_SCHEMES = frozenset(
    {"javascript", "vbscript", "data", "file", "blob", "about", "filesystem", "view-source"}
    | {"ftp", "ws", "wss", "mailto", "tel", "sms"}
)


class OAuthError(Exception):
    """A refusal in OAuth 2.0's vocabulary (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1).

    Attributes:
        error: the protocol's code (``invalid_request``, ``invalid_grant``…).
        description: a human line (never a secret).
        status: the HTTP status when answered directly (400, 401).
        redirect: whether an authorization error may go back to the redirect URI.
    """

    def __init__(
        self, error: str, description: str, *, status: int = 400, redirect: bool = True
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.redirect = redirect


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """A registered relying party; ``secret_hash`` is None for a public client."""

    id: str
    name: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    first_party: bool
    created_at: datetime

    @property
    def is_public(self) -> bool:
        return self.secret_hash is None

    def secret_matches(self, secret: str) -> bool:
        """Constant-time check of a presented secret against the stored digest."""
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(token_digest(secret), self.secret_hash)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationRequest:
    """A checked authorization request: what a code will carry."""

    client: Client
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str
    prompt: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeGrant:
    """An authorization code as stored (its SHA-256 only), and the sign-in behind it:
    the browser's access token (``origin_*``), so that a logout or a password change
    between the code and its exchange voids the code."""

    code_hash: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    auth_time: int
    amr: tuple[str, ...]
    origin_jti: str
    origin_session: str | None
    origin_iat: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    session_id: str | None = None


def new_secret() -> str:
    """A code, a client secret: 256 bits from the OS CSPRNG, URL-safe."""
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    """A client id: 128 random bits (public, but not guessable in sequence).

    Never one that begins with `-`, which a shell command line (`authgate client
    delete ID`) would read as an option; redrawing one id in 64 costs 0.02 bits.
    """
    while (client_id := secrets.token_urlsafe(16)).startswith("-"):
        pass
    return client_id


def is_client_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _CLIENT_ID.fullmatch(value) is not None


def check_redirect_uri(uri: str) -> str:
    """A redirect URI fit to register: absolute, no fragment (RFC 6749 §3.1.2), https,
    or http on a loopback host (RFC 8252 §7.3), or a private-use scheme (§7.1); never
    a scheme of ``REFUSED_SCHEMES``, a user name in the authority, or a space or a
    control character (which a browser drops before it reads the scheme).

    Raises:
        ValueError: the message says why.
    """
    if any(char.isspace() or not char.isprintable() for char in uri):
        raise ValueError(f"{uri!r}: no spaces or control characters")
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment or "#" in uri:
        raise ValueError(f"{uri!r}: an absolute URI without a fragment is required")
    if parts.scheme in REFUSED_SCHEMES:
        raise ValueError(f"{uri!r}: the {parts.scheme}: scheme is never a redirect URI")
    if "@" in parts.netloc:
        raise ValueError(f"{uri!r}: no user name or password in the address")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{uri!r}: http is only for a loopback host; use https")
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise ValueError(f"{uri!r}: no host")
    return uri


def is_fit_redirect_uri(uri: str) -> bool:
    """Whether ``uri`` would be registered today (a client registered before a rule
    was added may hold one that would not: it is never redirected to)."""
    try:
        check_redirect_uri(uri)
    except ValueError:
        return False
    return True


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verifier_matches(verifier: object, challenge: str) -> bool:
    """RFC 7636 §4.6, in constant time; a malformed verifier never matches."""
    if not isinstance(verifier, str) or _PKCE_VALUE.fullmatch(verifier) is None:
        return False
    return hmac.compare_digest(s256(verifier), challenge)


def granted_scope(requested: str | None) -> str:
    """The scopes granted: those we know, ``openid`` required (OIDC Core §3.1.2.1);
    unknown ones are left out (RFC 6749 §3.3 lets the server narrow them).

    Raises:
        OAuthError: ``invalid_scope`` without ``openid``.
    """
    asked = (requested or "").split()
    if "openid" not in asked:
        raise OAuthError("invalid_scope", "the openid scope is required")
    return " ".join(scope for scope in SCOPES_SUPPORTED if scope in asked)


def single(params: Mapping[str, list[str]], name: str) -> str | None:
    """A parameter that may appear at most once (RFC 6749 §3.1); None if absent.

    Raises:
        OAuthError: ``invalid_request``, repeated or too long.
    """
    values = params.get(name, [])
    if len(values) > 1:
        raise OAuthError("invalid_request", f"{name} is repeated")
    if not values:
        return None
    if len(values[0]) > MAX_PARAM_CHARS:
        raise OAuthError("invalid_request", f"{name} is too long")
    return values[0] or None


def client_id_of(params: Mapping[str, list[str]]) -> str:
    """The ``client_id`` of an authorization request.

    Raises:
        OAuthError: ``redirect=False``: missing, repeated or malformed.
    """
    values = params.get("client_id", [])
    if len(values) != 1 or not is_client_id(values[0]):
        raise OAuthError("invalid_request", "unknown client_id", redirect=False)
    return values[0]


def check_authorization(
    params: Mapping[str, list[str]], client: Client | None
) -> AuthorizationRequest:
    """The authorization request of ``params`` (the query, each name to its values)
    for ``client``, the one its ``client_id`` names (None: no such client).

    Raises:
        OAuthError: ``redirect=False`` for an unknown client or redirect URI; else
            ``invalid_request``, ``unsupported_response_type``, ``invalid_scope``,
            ``request_not_supported`` (to redirect, with the state).
    """
    if client is None:
        raise OAuthError("invalid_request", "unknown client_id", redirect=False)
    uris = params.get("redirect_uri", [])
    redirect_uri = uris[0] if len(uris) == 1 else None
    if (
        redirect_uri is None
        or redirect_uri not in client.redirect_uris  # exact match
        or not is_fit_redirect_uri(redirect_uri)
    ):
        raise OAuthError(
            "invalid_request", "redirect_uri is not registered for this client", redirect=False
        )
    if single(params, "response_type") != "code":
        raise OAuthError("unsupported_response_type", "only response_type=code is supported")
    for name in ("request", "request_uri"):
        if single(params, name) is not None:
            raise OAuthError(f"{name}_not_supported", f"{name} is not supported")
    scope = granted_scope(single(params, "scope"))
    challenge = single(params, "code_challenge")
    method = single(params, "code_challenge_method")
    if challenge is None:
        raise OAuthError("invalid_request", "code_challenge is required (PKCE)")
    if method != "S256":  # RFC 7636 §4.4.1: plain is refused, so is a missing method
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    if _PKCE_VALUE.fullmatch(challenge) is None:
        raise OAuthError("invalid_request", "code_challenge is malformed")
    nonce = single(params, "nonce")
    if nonce is not None and (len(nonce) > MAX_NONCE_CHARS or not nonce.isprintable()):
        raise OAuthError("invalid_request", f"nonce must be 1 to {MAX_NONCE_CHARS} characters")
    mode = single(params, "response_mode")
    if mode not in (None, "query"):
        raise OAuthError("invalid_request", "only response_mode=query is supported")
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scope=scope,
        state=single(params, "state"),
        nonce=nonce,
        code_challenge=challenge,
        prompt=frozenset((single(params, "prompt") or "").split()),
    )


def state_of(params: Mapping[str, list[str]]) -> str | None:
    """The ``state`` to return with an error, if it was given once."""
    values = params.get("state", [])
    return values[0] if len(values) == 1 and len(values[0]) <= MAX_PARAM_CHARS else None


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: the left half of SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def id_token_claims(
    *,
    issuer: str,
    grant: CodeGrant | None,
    client_id: str,
    user_id: str,
    email: str,
    email_verified: bool,
    auth_time: int,
    amr: tuple[str, ...],
    scope: str,
    access_token: str,
    now: int,
    ttl: int,
) -> dict[str, object]:
    """The claims of an ID token (OIDC Core §2, §3.1.3.6, §5.4 for ``email``)."""
    claims: dict[str, object] = {
        "iss": issuer,
        "sub": user_id,
        "aud": client_id,
        "azp": client_id,
        "iat": now,
        "exp": now + ttl,
        "auth_time": auth_time,
        "amr": list(amr),
        "at_hash": at_hash(access_token),
    }
    if grant is not None and grant.nonce is not None:
        claims["nonce"] = grant.nonce
    if "email" in scope.split():
        claims.update(email=email, email_verified=email_verified)
    return claims
