"""The authgate error tree: one base class, one stable machine code per class.

::

    AuthError
    ├── ValidationFailed            validation_error
    ├── EmailTaken                  email_taken
    ├── InvalidCredentials          invalid_credentials
    ├── AccountDisabled             account_disabled
    ├── EmailUnverified             email_unverified
    ├── MfaRequired                 mfa_required        (mfa_token, methods, expires_in)
    ├── MfaInvalid                  mfa_invalid
    ├── MfaExists                   mfa_exists
    ├── MfaMissing                  mfa_missing
    ├── ReauthRequired              reauth_required
    ├── PasskeyInvalid              passkey_invalid     (a sign-in: 401)
    │   └── PasskeyNotRegistered    passkey_invalid     (a registration: 400)
    ├── LinkInvalid                 link_invalid
    ├── TooManyAttempts             too_many_attempts   (retry_after)
    ├── NotFound                    not_found
    ├── Forbidden                   forbidden
    ├── CsrfFailed                  csrf_failed
    ├── ServiceUnavailable          service_unavailable
    ├── RefreshError
    │   ├── RefreshInvalid          refresh_invalid
    │   └── RefreshReused           refresh_reused
    └── TokenError
        ├── TokenMissing            token_missing
        ├── TokenExpired            token_expired
        ├── TokenRevoked            token_revoked
        └── TokenInvalid            token_invalid       (reason: for the log only)

The codes are the contract of API.md §3. Statuses, headers and human messages are
chosen by the web layer (``authgate.web.errors``) and the CLI, never here.
Outward answers stay opaque: every kind of bad token is one ``TokenInvalid``; the
precise reason travels in ``reason`` for the log.
"""

from __future__ import annotations


class AuthError(Exception):
    """Base of every error authgate answers with; ``code`` is stable."""

    code = "auth_error"

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or self.code)
        self.reason = reason


class ConfigurationError(Exception):
    """A setting is wrong; the message names the variable (one line)."""


class ValidationFailed(AuthError):
    code = "validation_error"


class EmailTaken(AuthError):
    code = "email_taken"


class InvalidCredentials(AuthError):
    code = "invalid_credentials"


class AccountDisabled(AuthError):
    code = "account_disabled"


class EmailUnverified(AuthError):
    code = "email_unverified"


class MfaRequired(AuthError):
    """The password checked out; the sign-in waits for its second factor."""

    code = "mfa_required"

    def __init__(self, mfa_token: str, methods: list[str], expires_in: int) -> None:
        super().__init__("second factor required")
        self.extra = {"mfa_token": mfa_token, "methods": methods, "expires_in": expires_in}


class MfaInvalid(AuthError):
    code = "mfa_invalid"


class MfaExists(AuthError):
    code = "mfa_exists"


class MfaMissing(AuthError):
    code = "mfa_missing"


class ReauthRequired(AuthError):
    code = "reauth_required"


class PasskeyInvalid(AuthError):
    code = "passkey_invalid"


class PasskeyNotRegistered(PasskeyInvalid):
    """A registration that does not verify (400, where a failed sign-in is 401)."""


class LinkInvalid(AuthError):
    code = "link_invalid"


class TooManyAttempts(AuthError):
    code = "too_many_attempts"

    def __init__(self, retry_after: int, reason: str = "") -> None:
        super().__init__(reason)
        self.retry_after = max(1, int(retry_after))


class NotFound(AuthError):
    code = "not_found"


class Forbidden(AuthError):
    """Not for this caller (``/metrics`` from an address not allowed)."""

    code = "forbidden"


class CsrfFailed(AuthError):
    code = "csrf_failed"


class ServiceUnavailable(AuthError):
    code = "service_unavailable"


class RefreshError(AuthError):
    code = "refresh_invalid"


class RefreshInvalid(RefreshError):
    code = "refresh_invalid"


class RefreshReused(RefreshError):
    code = "refresh_reused"


class TokenError(AuthError):
    code = "token_invalid"


class TokenMissing(TokenError):
    code = "token_missing"


class TokenExpired(TokenError):
    code = "token_expired"


class TokenRevoked(TokenError):
    code = "token_revoked"


class TokenInvalid(TokenError):
    code = "token_invalid"
