"""The key directory: files and modes, generation, rotation, the ring in force over time."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import jwt
import pytest

from authgate.core.errors import ConfigurationError, TokenExpired, TokenInvalid
from authgate.core.jose import UnknownKid, jwk_thumbprint
from authgate.core.rotation import key_states
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens
from authgate.storage.keyfiles import PRUNE_AFTER, KeyDirectory, KeyExists
from authgate.storage.keysource import (
    CHECK_INTERVAL,
    UNKNOWN_KID_INTERVAL,
    DirectoryKeys,
    load_asymmetric_ring,
    load_key_ring,
)
from tests.conftest import FakeClock

ALGORITHMS = ["EdDSA", "ES256", "RS256"]
T0 = 1_800_000_000.0
TTL = 900
LEEWAY = 10
WINDOW = TTL + LEEWAY


def settings_for(tmp_path: Path, algorithm: str, **extra: object) -> Settings:
    return Settings(
        algorithm=algorithm,
        keys_dir=tmp_path / "keys",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
        access_ttl=TTL,
        leeway=LEEWAY,
        **extra,
    )


def issue(tokens: AccessTokens, now: float) -> str:
    return tokens.issue(user_id="u1", email="u1@example.com", session_id=None, now=now)[0]


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


@pytest.fixture
def directory(tmp_path: Path) -> KeyDirectory:
    return KeyDirectory(tmp_path / "keys")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_first_start_makes_a_private_key_file_0600_named_by_its_thumbprint(
    tmp_path: Path, algorithm: str, caplog: pytest.LogCaptureFixture
) -> None:
    """One key, mode 0600 in a 0700 directory; its kid is its RFC 7638 thumbprint; one warning."""
    ring = load_key_ring(settings_for(tmp_path, algorithm), time.time())
    folder = tmp_path / "keys"
    pems = list(folder.glob("*.pem"))
    assert len(pems) == 1
    assert stat.S_IMODE(pems[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "keys.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (jwk,) = ring.jwks()["keys"]
    assert ring.signing is not None and ring.signing.kid == jwk["kid"] == pems[0].stem
    assert jwk["kid"] == jwk_thumbprint(jwk)
    assert jwk["alg"] == algorithm and jwk["use"] == "sig"
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and jwk["kid"] in warnings[0].getMessage()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_published_keys_hold_no_private_member(tmp_path: Path, algorithm: str) -> None:
    """The JWKS carries public members only (RFC 7518 §6: no d, p, q, dp, dq, qi)."""
    ring = load_key_ring(settings_for(tmp_path, algorithm), time.time())
    (jwk,) = ring.jwks()["keys"]
    assert not {"d", "p", "q", "dp", "dq", "qi", "k", "oth"} & jwk.keys()
    assert jwk["kty"] == {"EdDSA": "OKP", "ES256": "EC", "RS256": "RSA"}[algorithm]


def test_a_second_start_reuses_the_key(tmp_path: Path) -> None:
    """Restarting keeps the key (and so every token it signed)."""
    first = load_key_ring(settings_for(tmp_path, "ES256"), time.time())
    second = load_key_ring(settings_for(tmp_path, "ES256"), time.time())
    assert first.signing is not None and second.signing is not None
    assert first.signing.kid == second.signing.kid


def test_read_only_load_does_not_create_keys(tmp_path: Path) -> None:
    """``create=False`` (token decode) reports a missing key instead of making one."""
    with pytest.raises(ConfigurationError, match="AUTHGATE_KEYS_DIR"):
        load_key_ring(settings_for(tmp_path, "EdDSA"), time.time(), create=False)
    assert not (tmp_path / "keys" / "keys.json").exists()


def test_generate_refuses_when_a_key_signs_already(directory: KeyDirectory) -> None:
    """``generate`` never replaces a signing key; ``rotate`` does."""
    first = directory.add_key("EdDSA", T0, window=WINDOW, replace_current=False)
    with pytest.raises(KeyExists):
        directory.add_key("EdDSA", T0, window=WINDOW, replace_current=False)
    second = directory.add_key("EdDSA", T0 + 1, window=WINDOW, replace_current=True)
    records = directory.records()
    assert [r.kid for r in records] == [first.kid, second.kid]
    assert records[0].retired_at == int(T0 + 1) and records[1].retired_at is None


def test_concurrent_first_starts_make_one_key(directory: KeyDirectory) -> None:
    """Processes starting together on an empty directory agree on one key (the lock)."""
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        KeyDirectory(directory.path).ensure("ES256", T0, window=WINDOW)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(directory.records()) == 1
    assert len(list(directory.path.glob("*.pem"))) == 1


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b'{"keys": [{"kid": "../../etc/passwd", "alg": "ES256"}]}', id="bad-entry"),
        pytest.param(
            json.dumps(
                {"keys": [{"kid": "A" * 43, "alg": "HS256", "created_at": 1, "signs_from": 1}]}
            ).encode(),
            id="symmetric-alg",
        ),
    ],
)
def test_a_broken_manifest_stops_start_up_naming_the_variable(
    tmp_path: Path, content: bytes
) -> None:
    """A manifest that is not one is a configuration error, one line naming AUTHGATE_KEYS_DIR."""
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / "keys.json").write_bytes(content)
    with pytest.raises(ConfigurationError, match=r"^AUTHGATE_KEYS_DIR: ") as caught:
        load_key_ring(settings_for(tmp_path, "ES256"), time.time())
    assert "\n" not in str(caught.value)


def test_a_key_file_that_does_not_match_its_kid_is_refused(tmp_path: Path) -> None:
    """A PEM swapped for another key is not trusted under the manifest's kid."""
    ring = load_key_ring(settings_for(tmp_path, "ES256"), time.time())
    assert ring.signing is not None
    other = tmp_path / "other"
    load_key_ring(settings_for(other, "ES256"), time.time())
    (pem,) = (other / "keys").glob("*.pem")
    (tmp_path / "keys" / f"{ring.signing.kid}.pem").write_bytes(pem.read_bytes())
    with pytest.raises(ConfigurationError, match="does not hold the key"):
        load_key_ring(settings_for(tmp_path, "ES256"), time.time())


def test_the_ring_follows_a_rotation_through_the_old_keys_lifetime(tmp_path: Path) -> None:
    """After a rotation: new tokens use the new key; old ones verify until they expire;
    the JWKS shows both keys, then only the new one once the old one's last token is dead."""
    clock = FakeClock(T0)
    directory = KeyDirectory(tmp_path / "keys")
    old = directory.add_key("ES256", clock(), window=WINDOW, replace_current=False)
    tokens = AccessTokens(
        DirectoryKeys(directory, "ES256", WINDOW).load(clock()), ttl=TTL, leeway=LEEWAY
    )
    old_token = issue(tokens, clock())
    assert kid_of(old_token) == old.kid

    clock.advance(60)
    new = directory.add_key("ES256", clock(), window=WINDOW, replace_current=True)
    clock.advance(CHECK_INTERVAL)
    new_token = issue(tokens, clock())
    assert kid_of(new_token) == new.kid
    assert [k["kid"] for k in tokens.jwks(clock())["keys"]] == [new.kid, old.kid]
    assert tokens.verify(old_token, clock()).id == "u1"

    clock.now = T0 + TTL  # the old token's exp
    with pytest.raises(TokenExpired):
        tokens.verify(old_token, clock())
    assert len(tokens.jwks(clock())["keys"]) == 2  # retired + TTL + leeway not reached yet

    clock.now = T0 + 60 + WINDOW  # the retired key's last token is certainly expired
    assert [k["kid"] for k in tokens.jwks(clock())["keys"]] == [new.kid]
    with pytest.raises(UnknownKid):
        tokens.verify(old_token, clock())
    fresh = issue(tokens, clock())
    assert kid_of(fresh) == new.kid and tokens.verify(fresh, clock()).id == "u1"


def test_a_delayed_rotation_publishes_first_and_signs_later(tmp_path: Path) -> None:
    """With ``activate_in``, the new key is in the JWKS at once but signs only from then."""
    clock = FakeClock(T0)
    directory = KeyDirectory(tmp_path / "keys")
    old = directory.add_key("EdDSA", clock(), window=WINDOW, replace_current=False)
    tokens = AccessTokens(
        DirectoryKeys(directory, "EdDSA", WINDOW).load(clock()), ttl=TTL, leeway=LEEWAY
    )
    new = directory.add_key("EdDSA", clock(), window=WINDOW, activate_in=300, replace_current=True)
    clock.advance(CHECK_INTERVAL)
    assert {k["kid"] for k in tokens.jwks(clock())["keys"]} == {old.kid, new.kid}
    assert kid_of(issue(tokens, clock())) == old.kid
    clock.now = T0 + 300
    assert kid_of(issue(tokens, clock())) == new.kid
    states = key_states(directory.records(), now=clock(), window=WINDOW, algorithm="EdDSA")
    assert [(r.kid, state) for r, state, _ in states] == [
        (old.kid, "retired"),
        (new.kid, "signing"),
    ]


def test_an_unknown_kid_rechecks_the_directory_at_most_so_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storm of forged kids costs one stat of the manifest per interval, no more."""
    clock = FakeClock(T0)
    directory = KeyDirectory(tmp_path / "keys")
    directory.add_key("ES256", clock(), window=WINDOW, replace_current=False)
    tokens = AccessTokens(
        DirectoryKeys(directory, "ES256", WINDOW).load(clock()), ttl=TTL, leeway=LEEWAY
    )
    genuine = issue(tokens, clock())
    _, payload, signature = genuine.split(".")
    forged_header = jwt.utils.base64url_encode(
        json.dumps({"alg": "ES256", "typ": "JWT", "kid": "forged"}).encode()
    ).decode()
    forged = f"{forged_header}.{payload}.{signature}"
    stats = []
    real_stamp = directory.stamp
    monkeypatch.setattr(directory, "stamp", lambda: stats.append(1) or real_stamp())
    clock.advance(UNKNOWN_KID_INTERVAL)
    for _ in range(100):
        with pytest.raises(TokenInvalid):
            tokens.verify(forged, clock())
    assert len(stats) == 1
    clock.advance(UNKNOWN_KID_INTERVAL)
    with pytest.raises(TokenInvalid):
        tokens.verify(forged, clock())
    assert len(stats) == 2


def test_an_unknown_kid_picks_up_a_rotation_made_by_another_instance(tmp_path: Path) -> None:
    """A token signed by a key this process has not seen yet makes it look at once."""
    clock = FakeClock(T0)
    path = tmp_path / "keys"
    KeyDirectory(path).add_key("EdDSA", clock(), window=WINDOW, replace_current=False)
    ours = AccessTokens(
        DirectoryKeys(KeyDirectory(path), "EdDSA", WINDOW).load(clock()), ttl=TTL, leeway=LEEWAY
    )
    ours.jwks(clock())  # a look at the directory just now
    KeyDirectory(path).add_key("EdDSA", clock(), window=WINDOW, replace_current=True)
    theirs = AccessTokens(
        DirectoryKeys(KeyDirectory(path), "EdDSA", WINDOW).load(clock()), ttl=TTL, leeway=LEEWAY
    )
    clock.advance(UNKNOWN_KID_INTERVAL)  # well within CHECK_INTERVAL
    assert ours.verify(issue(theirs, clock()), clock()).id == "u1"


def test_keys_of_another_algorithm_are_neither_published_nor_accepted(tmp_path: Path) -> None:
    """Switching AUTHGATE_ALGORITHM makes a key of the new one; the old ones go unused."""
    es = load_key_ring(settings_for(tmp_path, "ES256"), time.time())
    ed = load_key_ring(settings_for(tmp_path, "EdDSA"), time.time())
    assert es.signing is not None and ed.signing is not None
    assert [k["alg"] for k in ed.jwks()["keys"]] == ["EdDSA"]
    assert ed.key_for(es.signing.kid) is None


def test_long_dropped_keys_are_deleted_at_the_next_write(directory: KeyDirectory) -> None:
    """Key files do not pile up: a rotation prunes keys unpublished for a week."""
    first = directory.add_key("ES256", T0, window=WINDOW, replace_current=False)
    directory.add_key("ES256", T0 + 10, window=WINDOW, replace_current=True)
    directory.add_key("ES256", T0 + 10 + WINDOW + PRUNE_AFTER, window=WINDOW, replace_current=True)
    assert first.kid not in {r.kid for r in directory.records()}
    assert not (directory.path / f"{first.kid}.pem").exists()
    assert len(list(directory.path.glob("*.pem"))) == 2


def test_load_asymmetric_ring_uses_authgate_keys_dir_beside_the_database_by_default(
    tmp_path: Path,
) -> None:
    """Without AUTHGATE_KEYS_DIR, keys go to authgate-keys/ next to the SQLite file."""
    settings = Settings(
        algorithm="EdDSA", database_url=f"sqlite+aiosqlite:///{tmp_path / 'db' / 'a.db'}"
    )
    load_asymmetric_ring(settings, time.time())
    assert (tmp_path / "db" / "authgate-keys" / "keys.json").is_file()


def test_keystore_keeps_the_core_free_of_the_web_and_storage_stacks() -> None:
    """Importing the key directory loads no FastAPI, Starlette, SQLAlchemy or redis."""
    code = (
        "import sys, authgate.storage.keysource, authgate.core.rotation, "
        "authgate.core.user_import; "
        "bad = [m for m in ('fastapi', 'starlette', 'sqlalchemy', 'redis', 'httpx') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_directory_that_loses_its_keys_does_not_stop_signing(tmp_path: Path) -> None:
    """An emptied manifest is logged; the process keeps the last ring instead of failing."""
    clock = FakeClock(T0)
    directory = KeyDirectory(tmp_path / "keys")
    record = directory.add_key("ES256", clock(), window=WINDOW, replace_current=False)
    tokens = AccessTokens(
        DirectoryKeys(directory, "ES256", WINDOW).load(clock()), ttl=TTL, leeway=LEEWAY
    )
    (directory.path / "keys.json").write_text('{"format": 1, "keys": []}')
    clock.advance(CHECK_INTERVAL)
    token = issue(tokens, clock())
    assert kid_of(token) == record.kid
    assert tokens.verify(token, clock()).id == "u1"
    assert [k["kid"] for k in tokens.jwks(clock())["keys"]] == [record.kid]
