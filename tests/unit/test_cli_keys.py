"""``authgate keys generate|rotate|list`` and ``authgate token decode``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from typer.testing import CliRunner

from authgate.cli import app as cli
from authgate.core.settings import Settings
from authgate.core.tokens import AccessTokens
from authgate.storage.keysource import load_key_ring


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUTHGATE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("AUTHGATE_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("AUTHGATE_ALGORITHM", "ES256")

    def invoke(*args: str, **env: str) -> Any:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return CliRunner().invoke(cli, list(args))

    return invoke


def states(run_cli: Callable[..., Any]) -> list[tuple[str, str]]:
    result = run_cli("keys", "list", "--json")
    assert result.exit_code == 0, result.output
    return [(item["kid"], item["state"]) for item in map(json.loads, result.stdout.splitlines())]


def test_keys_commands_need_an_asymmetric_algorithm(run_cli: Callable[..., Any]) -> None:
    """Under HS256 there are no keys: one line saying what to set, exit status 2."""
    result = run_cli("keys", "list", AUTHGATE_ALGORITHM="HS256")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: AUTHGATE_ALGORITHM is HS256")
    assert len(result.stderr.strip().splitlines()) == 1


def test_generate_then_rotate_then_list(run_cli: Callable[..., Any]) -> None:
    """generate makes the signing key once; rotate retires it, keeping it published."""
    generated = run_cli("keys", "generate")
    assert generated.exit_code == 0, generated.output
    first = generated.stdout.split()[3]
    again = run_cli("keys", "generate")
    assert again.exit_code == 1 and "keys rotate" in again.stderr
    rotated = run_cli("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    second = rotated.stdout.split()[3]
    assert f"old key {first} stays published and accepted until" in rotated.stdout
    assert states(run_cli) == [(first, "retired"), (second, "signing")]
    listing = run_cli("keys", "list").stdout
    assert f"{first}  ES256" in listing and "published until" in listing


def test_a_delayed_rotation_lists_the_new_key_as_next(run_cli: Callable[..., Any]) -> None:
    """With --activate-in the old key keeps signing until the new one starts."""
    run_cli("keys", "generate")
    result = run_cli("keys", "rotate", "--activate-in", "5m")
    assert result.exit_code == 0, result.output
    assert [state for _, state in states(run_cli)] == ["signing", "next"]
    bad = run_cli("keys", "rotate", "--activate-in", "soon")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: --activate-in")


def test_list_on_an_empty_directory_says_so(run_cli: Callable[..., Any]) -> None:
    """Nothing there yet: the first start will make a key."""
    result = run_cli("keys", "list")
    assert result.exit_code == 0 and "no keys" in result.stdout


def tokens_for(tmp_path: Path) -> AccessTokens:
    settings = Settings(
        algorithm="ES256",
        keys_dir=tmp_path / "keys",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
    )
    return AccessTokens(load_key_ring(settings, time.time()), ttl=900)


def test_decode_shows_header_claims_times_and_that_it_verifies(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """Header, claims, UTC and local times, time left, and a verdict."""
    token, _ = tokens_for(tmp_path).issue(
        user_id="u1", email="u1@example.com", session_id=None, now=time.time()
    )
    result = run_cli("token", "decode", token)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert '"alg": "ES256"' in out and '"email": "u1@example.com"' in out
    assert "exp: " in out and " UTC (" in out and " local)" in out
    assert "time left: 14 min" in out
    assert "verifies here: yes" in out


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(
            lambda tokens: tokens.issue(
                user_id="u", email="u@example.com", session_id=None, now=time.time() - 3600
            )[0],
            "token_expired",
            id="expired",
        ),
        pytest.param(
            lambda tokens: jwt.encode(
                {"sub": "u", "email": "u@example.com", "jti": "j", "iat": 1, "exp": 2**40},
                tokens.keys.signing.key,
                algorithm="ES256",
                headers={"kid": "someone-elses"},
            ),
            "kid someone-elses is not among this server's keys",
            id="unknown-kid",
        ),
        pytest.param(
            lambda tokens: jwt.encode(
                {"sub": "u", "email": "u@example.com", "jti": "j", "iat": 1, "exp": 2**40},
                "a-shared-secret-of-at-least-32-bytes!",
                algorithm="HS256",
            ),
            "alg 'HS256' is not AUTHGATE_ALGORITHM=ES256",
            id="other-alg",
        ),
    ],
)
def test_decode_says_why_a_token_does_not_verify(
    run_cli: Callable[..., Any],
    tmp_path: Path,
    make: Callable[[AccessTokens], str],
    reason: str,
) -> None:
    """Exit status 1 and the reason, after the header and claims."""
    result = run_cli("token", "decode", make(tokens_for(tmp_path)))
    assert result.exit_code == 1
    verdict = result.stdout.strip().splitlines()[-1]
    assert verdict.startswith("verifies here: no (") and reason in verdict


def test_decode_never_creates_keys(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    """Inspecting a token on a machine without keys says it cannot tell, and makes none."""
    other = tokens_for(tmp_path / "elsewhere")
    token, _ = other.issue(user_id="u", email="u@example.com", session_id=None, now=time.time())
    result = run_cli("token", "decode", token)
    assert result.exit_code == 1
    assert "verifies here: cannot tell" in result.stdout
    assert not (tmp_path / "keys").exists()


def test_decode_of_garbage_is_one_line(run_cli: Callable[..., Any]) -> None:
    """Not a JWT: one error line, no traceback."""
    result = run_cli("token", "decode", "hello")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: not a JWT")
    assert "Traceback" not in result.output
