"""The RS256 key of ID tokens, in the key directory beside the access tokens' keys.

OpenID Connect requires RS256 of every provider (OIDC Core §15.1), and an ID token
must be verifiable by a client without a shared secret: so whatever
AUTHGATE_ALGORITHM is, ID tokens are signed with an RS256 key of the key directory
(the access tokens' own key when the algorithm is RS256). It is made on first use
(the first ID token), so a deployment that never uses OpenID Connect keeps its JWKS
as it was; from then on the JWKS lists it, and ``authgate keys rotate`` under RS256
rotates it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from authgate.core.errors import ConfigurationError
from authgate.core.jose import SigningKey
from authgate.core.settings import Settings
from authgate.storage.keyfiles import KeyDirectory, keys_path
from authgate.storage.keysource import DirectoryKeys

log = logging.getLogger("authgate.keys")

ID_TOKEN_ALGORITHM = "RS256"


class DirectoryIdTokenKeys:
    """The ``IdTokenKeys`` port over the key directory."""

    def __init__(self, settings: Settings) -> None:
        self.directory = KeyDirectory(keys_path(settings))
        self.window = settings.access_ttl_seconds + settings.leeway
        self._keys = DirectoryKeys(self.directory, ID_TOKEN_ALGORITHM, self.window)
        self._lock = threading.Lock()

    def signing_key(self, now: float) -> SigningKey:
        ring = self._keys.ring(now)
        if ring.signing is not None:
            return ring.signing
        with self._lock:
            created = self.directory.ensure(ID_TOKEN_ALGORITHM, now, window=self.window)
            if created is not None:
                log.warning(
                    "generated an RS256 key (kid %s) in %s for OpenID Connect ID tokens",
                    created.kid,
                    self.directory.path,
                )
            ring = self._keys.load(now)
        if ring.signing is None:  # pragma: no cover - load() raises instead
            raise ConfigurationError("AUTHGATE_KEYS_DIR: no RS256 key for ID tokens")
        return ring.signing

    def jwks(self, now: float) -> list[dict[str, Any]]:
        if self.directory.stamp() is None:  # no directory yet: nothing to publish
            return []
        return self._keys.ring(now).jwks()["keys"]
