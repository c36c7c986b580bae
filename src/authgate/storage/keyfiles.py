"""Key material at rest: the key directory and the generated HS256 secret file.

Layout of ``AUTHGATE_KEYS_DIR`` (default: ``authgate-keys/`` beside the database)::

    keys.json    the manifest: each key's kid, alg, created_at, signs_from, retired_at
    <kid>.pem    one PKCS #8 private key per file, mode 0600, written once, never changed
    .lock        held (flock) by whoever writes: a first start, generate, rotate

Readers never lock. A key file is complete (written and fsynced) before the
manifest names it, and the manifest is replaced atomically (temporary file, fsync,
rename), so a process sees the old set or the new one, never half of one. One
directory can therefore be shared by worker processes, the CLI, and instances on a
shared volume; each notices a change by the manifest's stat
(:mod:`authgate.storage.keysource`).

A rotation adds a key and sets ``retired_at`` on the one it replaces (what the
records mean over time is :mod:`authgate.core.rotation`'s). It may delay the new
key's ``signs_from`` (``activate_in``), so that every verifier that caches the JWKS
has the new public key before a token needs it.

Without ``AUTHGATE_SECRET``, HS256 signs with a secret generated once into
``authgate.secret`` in the state directory (0600, published whole by a hard link).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from authgate.core.errors import ConfigurationError
from authgate.core.jose import (
    ASYMMETRIC_ALGORITHMS,
    SigningKey,
    fits,
    load_private_pem,
    new_private_key,
    private_pem,
    public_jwk,
)
from authgate.core.keys import KeyRecord
from authgate.core.settings import MIN_SECRET_BYTES, Settings

log = logging.getLogger("authgate.keys")

SECRET_FILE = "authgate.secret"
MANIFEST = "keys.json"
LOCK = ".lock"
DEFAULT_DIRNAME = "authgate-keys"
#: Key files of keys that dropped out this long ago are deleted at the next write.
PRUNE_AFTER = 7 * 86400
_KID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # an RFC 7638 SHA-256 thumbprint


class KeyExists(Exception):
    """``generate`` found a key that already signs (``rotate`` replaces it)."""


def keys_path(settings: Settings) -> Path:
    """AUTHGATE_KEYS_DIR, else ``authgate-keys/`` beside the database."""
    return (
        settings.keys_dir if settings.keys_dir is not None else settings.state_dir / DEFAULT_DIRNAME
    )


def _write_private(path: Path, data: bytes, *, overwrite: bool = True) -> bool:
    """Put a complete 0600 file holding ``data`` under ``path``'s name, all at once.

    The bytes are written and synced to a private temporary file first, then moved
    into place (``overwrite``) or linked there only if the name is free: no reader
    ever sees the file empty or half-written, and a crash leaves only the temporary
    file. Returns False if ``overwrite`` is off and ``path`` existed (another process
    won).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # atomic, and fails if the name is taken
            except FileExistsError:
                return False
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


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
            key = load_private_pem(data)
        except OSError as exc:
            raise self._fail(f"cannot read {path} ({exc.strerror})") from None
        except (ValueError, TypeError) as exc:
            raise self._fail(f"{path} is not a PEM private key ({exc})") from None
        if not fits(record.algorithm, key):
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
            pem = private_pem(private)
            try:
                _write_private(self.path / f"{kid}.pem", pem)
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
        _write_private(self.manifest, data)


# -- the HS256 secret file ------------------------------------------------------


def load_or_create_secret(settings: Settings, *, create: bool = True) -> bytes:
    """The HS256 secret: ``AUTHGATE_SECRET``, else a generated one kept in a 0600 file.

    Raises:
        ConfigurationError: the stored secret is unreadable or too short (or
            missing, and ``create`` is False).
    """
    if settings.secret is not None:
        return settings.secret.get_secret_value().encode()
    path = settings.state_dir / SECRET_FILE
    if not create and not path.exists():
        raise ConfigurationError(f"AUTHGATE_SECRET: not set, and no generated secret in {path}")
    try:
        new_secret = secrets.token_urlsafe(48).encode()
        if not path.exists() and _write_private(path, new_secret, overwrite=False):
            logging.getLogger("authgate").warning(
                "AUTHGATE_SECRET is not set: generated a signing secret in %s "
                "(set AUTHGATE_SECRET to share one between instances)",
                path,
            )
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigurationError(
            f"AUTHGATE_SECRET: not set, and the generated secret file {path} "
            f"cannot be used ({exc.strerror})"
        ) from None
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"AUTHGATE_SECRET: the stored secret in {path} is shorter than {MIN_SECRET_BYTES} bytes"
        )
    return secret
