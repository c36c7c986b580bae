"""The public API of ``authgate`` is pinned: changing it is a decision, not an accident."""

from __future__ import annotations

import authgate


def test_exported_members() -> None:
    """``__all__`` lists exactly the documented names, and each resolves."""
    assert set(authgate.__all__) == {
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
    }
    for name in authgate.__all__:
        assert getattr(authgate, name) is not None
