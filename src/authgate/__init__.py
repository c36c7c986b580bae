"""authgate: JWT authentication as a service and as a library.

``from authgate import AuthGate, Principal, Settings`` — the web parts load on first
use, so that ``authgate.core`` stays importable without FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authgate.core.errors import (
    AccountDisabled,
    AuthError,
    ConfigurationError,
    CsrfFailed,
    EmailTaken,
    InvalidCredentials,
    NotFound,
    RefreshInvalid,
    RefreshReused,
    ServiceUnavailable,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    TokenRevoked,
    TooManyAttempts,
    ValidationFailed,
)
from authgate.core.models import Principal
from authgate.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from authgate.verify import JWKSVerifier
    from authgate.web.app import create_app
    from authgate.web.gate import AuthGate

__version__ = "0.1.0"

__all__ = [
    "AccountDisabled",
    "AuthError",
    "AuthGate",
    "ConfigurationError",
    "CsrfFailed",
    "EmailTaken",
    "InvalidCredentials",
    "JWKSVerifier",
    "NotFound",
    "Principal",
    "RefreshInvalid",
    "RefreshReused",
    "ServiceUnavailable",
    "Settings",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "TokenRevoked",
    "TooManyAttempts",
    "ValidationFailed",
    "__version__",
    "create_app",
    "load_settings",
]

_LAZY = {
    "AuthGate": "authgate.web.gate",
    "create_app": "authgate.web.app",
    "JWKSVerifier": "authgate.verify",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'authgate' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
