"""The key ring from settings, and a key directory as a :class:`~authgate.core.keys.KeySource`.

:func:`load_key_ring` is the one entry point (runtime, CLI): HS256 gets the shared
secret (:func:`~authgate.storage.keyfiles.load_or_create_secret`); EdDSA, ES256
and RS256 get the ring of the key directory, with a first key made on a first start.

:class:`DirectoryKeys` keeps a process's ring in step with the directory: it looks
at the manifest's stat at most every :data:`CHECK_INTERVAL` seconds (sooner, but at
most every :data:`UNKNOWN_KID_INTERVAL`, when a token names a kid it lacks), re-reads
the directory only when the manifest changed, and rebuilds the ring
(:func:`authgate.core.rotation.ring_at`) at each instant a key starts signing or
drops out. Time is an argument (``now``).
"""

from __future__ import annotations

import logging
import math

from authgate.core.errors import ConfigurationError
from authgate.core.keys import KeyRecord, KeyRing
from authgate.core.rotation import LoadedKey, ring_at, stable_span
from authgate.core.settings import Settings
from authgate.storage.keyfiles import KeyDirectory, keys_path, load_or_create_secret

log = logging.getLogger("authgate.keys")

#: Seconds between two looks at the manifest's stat (and at most this late a
#: rotation made by another process is noticed).
CHECK_INTERVAL = 2.0
#: An unknown ``kid`` makes an early look, at most this often (forged kids cannot
#: make a process re-read its directory more than that).
UNKNOWN_KID_INTERVAL = 0.5


class DirectoryKeys:
    """The ring in force, kept in step with a key directory (a ``KeySource``)."""

    def __init__(self, directory: KeyDirectory, algorithm: str, window: int) -> None:
        self.directory = directory
        self.algorithm = algorithm
        self.window = window
        self._records: list[KeyRecord] = []
        self._keys: dict[str, LoadedKey] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._ring: KeyRing | None = None
        self._valid = (math.inf, -math.inf)
        self._checked_at = -math.inf
        self._rechecked_at = -math.inf

    def load(self, now: float) -> KeyRing:
        """Read the directory; the ring in force at ``now``.

        Raises:
            ConfigurationError: no usable key for the algorithm, or a broken directory.
        """
        self._reread(now, strict=True)
        ring = self.ring(now)
        if ring.signing is None:
            raise ConfigurationError(
                f"AUTHGATE_KEYS_DIR: no {self.algorithm} key in {self.directory.path} "
                "(run `authgate keys generate`)"
            )
        return ring

    def ring(self, now: float, *, unknown_kid: bool = False) -> KeyRing:
        if abs(now - self._checked_at) >= CHECK_INTERVAL or (
            unknown_kid and abs(now - self._rechecked_at) >= UNKNOWN_KID_INTERVAL
        ):
            self._rechecked_at = self._checked_at = now
            if self.directory.stamp() != self._stamp:
                try:
                    self._reread(now, strict=False)
                except ConfigurationError as exc:  # keep the keys we have
                    log.error("%s; still using the keys read before", exc)
        if self._ring is None or not self._valid[0] <= now < self._valid[1]:
            self._ring = self._build(now)
        return self._ring

    def _reread(self, now: float, *, strict: bool) -> None:
        stamp = self.directory.stamp()
        records = [r for r in self.directory.records() if r.algorithm == self.algorithm]
        for record in records:
            if record.kid in self._keys or not record.is_published(now, self.window):
                continue
            try:
                private = self.directory.load_private(record)
            except ConfigurationError as exc:
                if strict:
                    raise
                log.error("%s; leaving that key out", exc)
                continue
            self._keys[record.kid] = LoadedKey.of(record, private)
        self._records = [r for r in records if r.kid in self._keys]
        self._stamp = stamp
        self._valid = (math.inf, -math.inf)  # rebuild the ring at the next call

    def _build(self, now: float) -> KeyRing:
        """The ring at ``now``, and the span of time over which it stays the same."""
        ring = ring_at(self._records, self._keys, now, self.window, source=self)
        if ring.signing is None and self._ring is not None and self._ring.signing is not None:
            # The directory lost every key (deleted, unreadable): rather than stop
            # issuing tokens, keep the last ring and look again shortly.
            log.error(
                "no %s key left in %s; keeping the last one", self.algorithm, self.directory.path
            )
            self._valid = (now, now + CHECK_INTERVAL)
            return self._ring
        self._valid = stable_span(self._records, now, self.window)
        return ring


def load_asymmetric_ring(settings: Settings, now: float, *, create: bool = True) -> KeyRing:
    """The ring of the key directory at ``now``; on a first start, a new key (with a
    warning).

    Raises:
        ConfigurationError: the directory cannot be used, or holds no key (and
            ``create`` is False).
    """
    directory = KeyDirectory(keys_path(settings))
    window = settings.access_ttl_seconds + settings.leeway
    if create:
        created = directory.ensure(settings.algorithm, now, window=window)
        if created is not None:
            log.warning(
                "generated an %s signing key (kid %s) in %s: keep this directory to keep "
                "tokens valid across restarts, and share it between instances",
                created.algorithm,
                created.kid,
                directory.path,
            )
    return DirectoryKeys(directory, settings.algorithm, window).load(now)


def load_key_ring(settings: Settings, now: float, *, create: bool = True) -> KeyRing:
    """Build the key ring the settings call for, in force at ``now``.

    Args:
        settings: the configuration.
        now: the current time (epoch seconds), from the caller's clock.
        create: generate a missing secret or key (first start); False only reads.

    Raises:
        ConfigurationError: a secret or key cannot be loaded.
    """
    if settings.algorithm == "HS256":
        return KeyRing.hmac(load_or_create_secret(settings, create=create))
    return load_asymmetric_ring(settings, now, create=create)
