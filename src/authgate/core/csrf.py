"""CSRF tokens bound to the token pair they are issued with (API.md §3, cookies).

A double-submit cookie on its own only proves that the header equals the cookie, and
a cookie can be planted: by a sibling subdomain, or by anyone on the path of a plain
http request. So the value is derived from the pair: the access token's ``jti`` is
derived from the refresh token, and the CSRF token from the ``jti``, each by SHA-256
under its own label. A protected route recomputes the expected value from the access
token it verified, the refresh route from the refresh token presented; neither needs
storage or a server secret, and neither input is readable by a page's scripts (both
cookies are HttpOnly). A new pair (login, refresh) means a new value: only the
current one is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_JTI_LABEL = b"authgate access-token id v1\x00"
_CSRF_LABEL = b"authgate csrf v1\x00"


def access_token_id(refresh_token: str) -> str:
    """The ``jti`` of the access token issued together with ``refresh_token``
    (128 bits, hex: as unique as the 256-bit refresh token it comes from)."""
    digest = hashlib.sha256(_JTI_LABEL + refresh_token.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def csrf_token(token_id: str) -> str:
    """The CSRF token of the pair whose access token has ``jti`` = ``token_id``."""
    digest = hashlib.sha256(_CSRF_LABEL + token_id.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_matches(expected: str, presented: str) -> bool:
    """Constant-time comparison of a presented CSRF token with the expected one."""
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "surrogateescape"))
