"""The key directory: asymmetric signing keys on disk, their rotation, the ring in force.

Layout of ``AUTHGATE_KEYS_DIR`` (default: ``authgate-keys/`` beside the database)::

    keys.json    the manifest: each key's kid, alg, created_at, signs_from, retired_at
    <kid>.pem    one PKCS #8 private key per file, mode 0600, written once, never changed
    .lock        held (flock) by whoever writes: a first start, generate, rotate

Readers never lock. A key file is complete (written and fsynced) before the
manifest names it, and the manifest is replaced atomically (temporary file, fsync,
rename), so a process sees the old set or the new one, never half of one. One
directory can therefore be shared by worker processes, the CLI, and instances on a
shared volume; each notices a change by the manifest's stat (at most every
:data:`CHECK_INTERVAL` seconds, sooner when a token names an unknown ``kid``).

A key's life: from its creation it is published (JWKS) and accepted; it signs from
``signs_from`` until its successor's ``signs_from`` (its ``retired_at``); it stays
published and accepted for one access-token lifetime plus the leeway after that,
when the last token it signed has expired, and then drops out by itself.
``rotate`` may delay the successor's ``signs_from`` (``activate_in``), so that every
verifier that caches the JWKS has the new public key before a token needs it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from authgate.core.errors import ConfigurationError
from authgate.core.keys import KeyRing, SigningKey
from authgate.core.settings import Settings
from authgate.core.tokens import ASYMMETRIC_ALGORITHMS, public_jwk

log = logging.getLogger("authgate.keys")

MANIFEST = "keys.json"
LOCK = ".lock"
DEFAULT_DIRNAME = "authgate-keys"
#: Seconds between two looks at the manifest's stat (and at most this late a
#: rotation made by another process is noticed).
CHECK_INTERVAL = 2.0
#: An unknown ``kid`` makes an early look, at most this often (forged kids cannot
#: make a process re-read its directory more than that).
UNKNOWN_KID_INTERVAL = 0.5
#: Key files of keys that dropped out this long ago are deleted at the next write.
PRUNE_AFTER = 7 * 86400
RSA_BITS = 2048  # RFC 7518 §3.3: 2048 bits at least
_KID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # an RFC 7638 SHA-256 thumbprint


class KeyExists(Exception):
    """``generate`` found a key that already signs (``rotate`` replaces it)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRecord:
    """One key of the manifest (times in epoch seconds)."""

    kid: str
    algorithm: str
    created_at: int
    signs_from: int
    retired_at: int | None = None

    def drops_at(self, window: int) -> int | None:
        """When it leaves the JWKS: retirement plus one token lifetime and leeway."""
        return None if self.retired_at is None else self.retired_at + window

    def is_published(self, now: float, window: int) -> bool:
        drops = self.drops_at(window)
        return drops is None or now < drops


def keys_path(settings: Settings) -> Path:
    """AUTHGATE_KEYS_DIR, else ``authgate-keys/`` beside the database."""
    return (
        settings.keys_dir if settings.keys_dir is not None else settings.state_dir / DEFAULT_DIRNAME
    )


def new_private_key(algorithm: str) -> Any:
    """A fresh private key for EdDSA (Ed25519), ES256 (P-256) or RS256 (2048-bit RSA)."""
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise ValueError(f"{algorithm} has no key pair")


def _fits(algorithm: str, key: Any) -> bool:
    if algorithm == "EdDSA":
        return isinstance(key, ed25519.Ed25519PrivateKey)
    if algorithm == "ES256":
        return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)
    return isinstance(key, rsa.RSAPrivateKey) and key.key_size >= RSA_BITS


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a complete 0600 file under ``path``'s name, or nothing."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class KeyDirectory:
    """The files: read the manifest, load a key, and (under the lock) add keys."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.manifest = path / MANIFEST

    def _fail(self, what: str) -> ConfigurationError:
        return ConfigurationError(f"AUTHGATE_KEYS_DIR: {what}")

    def stamp(self) -> tuple[int, int, int] | None:
        """What changes whenever the manifest is replaced (None: no manifest)."""
        try:
            info = self.manifest.stat()
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def records(self) -> list[KeyRecord]:
        """Every key of the manifest (none if there is no manifest yet).

        Raises:
            ConfigurationError: the manifest cannot be read or is not one.
        """
        try:
            data = json.loads(self.manifest.read_bytes())
            return [self._record(item) for item in data["keys"]]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise self._fail(f"cannot read {self.manifest} ({exc.strerror})") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise self._fail(f"{self.manifest} is not a key manifest ({exc})") from None

    @staticmethod
    def _record(item: dict[str, Any]) -> KeyRecord:
        record = KeyRecord(
            kid=str(item["kid"]),
            algorithm=str(item["alg"]),
            created_at=int(item["created_at"]),
            signs_from=int(item["signs_from"]),
            retired_at=None if item.get("retired_at") is None else int(item["retired_at"]),
        )
        if not _KID.match(record.kid) or record.algorithm not in ASYMMETRIC_ALGORITHMS:
            raise ValueError(f"bad entry {record.kid!r}")
        return record

    def load_private(self, record: KeyRecord) -> Any:
        """The private key of a record, checked against its algorithm and ``kid``.

        Raises:
            ConfigurationError: missing, unreadable, or not the key the manifest names.
        """
        path = self.path / f"{record.kid}.pem"
        try:
            data = path.read_bytes()
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                log.warning("%s is readable by other users: chmod 600 it", path)
            key = serialization.load_pem_private_key(data, password=None)
        except OSError as exc:
            raise self._fail(f"cannot read {path} ({exc.strerror})") from None
        except (ValueError, TypeError) as exc:
            raise self._fail(f"{path} is not a PEM private key ({exc})") from None
        if not _fits(record.algorithm, key):
            raise self._fail(f"{path} is not an {record.algorithm} key")
        if public_jwk(SigningKey(record.algorithm, None, key))["kid"] != record.kid:
            raise self._fail(f"{path} does not hold the key {record.kid}")
        return key

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._fail(f"cannot write to {self.path} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def add_key(
        self,
        algorithm: str,
        now: float,
        *,
        window: int,
        activate_in: int = 0,
        replace_current: bool,
    ) -> KeyRecord:
        """Create a key, and make it the signing key (after ``activate_in`` seconds).

        Every key that signs or would sign is retired when the new one starts.
        Without ``replace_current``, a key of ``algorithm`` that signs already is
        an error. With no such key, the new one signs at once.

        Raises:
            KeyExists: a key signs already and ``replace_current`` is False.
            ConfigurationError: the directory cannot be written.
        """
        with self._locked():
            records = self.records()
            current = [r for r in records if r.algorithm == algorithm and r.retired_at is None]
            if current and not replace_current:
                raise KeyExists(current[-1].kid)
            start = int(now) + (activate_in if current else 0)
            private = new_private_key(algorithm)
            kid = public_jwk(SigningKey(algorithm, None, private))["kid"]
            pem = private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                _write_atomic(self.path / f"{kid}.pem", pem)
                record = KeyRecord(
                    kid=kid, algorithm=algorithm, created_at=int(now), signs_from=start
                )
                kept = self._prune(records, now, window)
                retired = [
                    replace(r, retired_at=start) if r.retired_at is None else r for r in kept
                ]
                self._write_manifest([*retired, record])
            except OSError as exc:
                raise self._fail(f"cannot write to {self.path} ({exc.strerror})") from None
            return record

    def ensure(self, algorithm: str, now: float, *, window: int) -> KeyRecord | None:
        """Create a signing key for ``algorithm`` unless one exists; the new record."""
        if any(r.algorithm == algorithm and r.retired_at is None for r in self.records()):
            return None
        try:
            return self.add_key(algorithm, now, window=window, replace_current=False)
        except KeyExists:  # another process made it meanwhile
            return None

    def _prune(self, records: list[KeyRecord], now: float, window: int) -> list[KeyRecord]:
        kept = []
        for record in records:
            drops = record.drops_at(window)
            if drops is not None and now >= drops + PRUNE_AFTER:
                with contextlib.suppress(FileNotFoundError):
                    (self.path / f"{record.kid}.pem").unlink()
            else:
                kept.append(record)
        return kept

    def _write_manifest(self, records: list[KeyRecord]) -> None:
        items = [
            {
                "kid": r.kid,
                "alg": r.algorithm,
                "created_at": r.created_at,
                "signs_from": r.signs_from,
                "retired_at": r.retired_at,
            }
            for r in records
        ]
        data = json.dumps({"format": 1, "keys": items}, indent=2).encode() + b"\n"
        _write_atomic(self.manifest, data)


def signing_record(records: list[KeyRecord], now: float) -> KeyRecord | None:
    """The key that signs at ``now``: of those that have started, the latest (by
    start, then by manifest order); before any has started, the first to start."""
    if not records:
        return None
    ordered = list(enumerate(records))
    started = [(i, r) for i, r in ordered if r.signs_from <= now]
    if started:
        return max(started, key=lambda item: (item[1].signs_from, item[0]))[1]
    return min(ordered, key=lambda item: (item[1].signs_from, item[0]))[1]


def key_states(
    records: list[KeyRecord], *, now: float, window: int, algorithm: str
) -> list[tuple[KeyRecord, str, int | None]]:
    """Each key with its state at ``now`` and the moment that state is about.

    States: ``signing``; ``next`` (signs from the moment); ``retired`` (published
    until the moment); ``dropped`` (unpublished since the moment); ``unused`` (of
    another algorithm than ``algorithm``).
    """
    mine = [r for r in records if r.algorithm == algorithm]
    signing = signing_record([r for r in mine if r.is_published(now, window)], now)
    states: list[tuple[KeyRecord, str, int | None]] = []
    for record in records:
        drops = record.drops_at(window)
        if record.algorithm != algorithm:
            states.append((record, "unused", None))
        elif record is signing:
            states.append((record, "signing", None))
        elif record.signs_from > now:
            states.append((record, "next", record.signs_from))
        elif drops is not None and now >= drops:
            states.append((record, "dropped", drops))
        else:
            states.append((record, "retired", drops))
    return states


class DirectoryKeys:
    """The ring in force, kept in step with a key directory (a ``KeySource``)."""

    def __init__(self, directory: KeyDirectory, algorithm: str, window: int) -> None:
        self.directory = directory
        self.algorithm = algorithm
        self.window = window
        self._records: list[KeyRecord] = []
        self._keys: dict[str, tuple[SigningKey, SigningKey, dict[str, Any]]] = {}
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
            signing = SigningKey(record.algorithm, record.kid, private)
            verifying = SigningKey(record.algorithm, record.kid, private.public_key())
            self._keys[record.kid] = (signing, verifying, public_jwk(signing))
        self._records = [r for r in records if r.kid in self._keys]
        self._stamp = stamp
        self._ring = None

    def _build(self, now: float) -> KeyRing:
        """The ring at ``now``, and the span of time over which it stays the same."""
        published = [r for r in self._records if r.is_published(now, self.window)]
        signing = signing_record(published, now)
        if signing is None and self._ring is not None and self._ring.signing is not None:
            # The directory lost every key (deleted, unreadable): rather than stop
            # issuing tokens, keep the last ring and look again shortly.
            log.error(
                "no %s key left in %s; keeping the last one", self.algorithm, self.directory.path
            )
            self._valid = (now, now + CHECK_INTERVAL)
            return self._ring
        newest_first = published[::-1]
        ordered = sorted(newest_first, key=lambda r: r is not signing)  # stable: signing, newest
        moments = [r.signs_from for r in self._records] + [
            d for r in self._records if (d := r.drops_at(self.window)) is not None
        ]
        self._valid = (
            max((m for m in moments if m <= now), default=-math.inf),
            min((m for m in moments if m > now), default=math.inf),
        )
        return KeyRing(
            self._keys[signing.kid][0] if signing is not None else None,
            {r.kid: self._keys[r.kid][1] for r in published},
            tuple(self._keys[r.kid][2] for r in ordered),
            source=self,
        )


def load_asymmetric_ring(settings: Settings, *, create: bool = True) -> KeyRing:
    """The ring of the key directory; on a first start, a new key (with a warning).

    Raises:
        ConfigurationError: the directory cannot be used, or holds no key (and
            ``create`` is False).
    """
    directory = KeyDirectory(keys_path(settings))
    window = settings.access_ttl_seconds + settings.leeway
    now = time.time()
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
