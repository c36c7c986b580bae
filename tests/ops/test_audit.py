"""``authgate audit`` as an operator runs it: filters, JSON lines, one-line errors;
commands' own events (with the operator) and key rotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import cli

pytestmark = pytest.mark.slow
PASSWORD = "a long password\n"


def test_audit_lists_filters_and_refuses_bad_input(tmp_path: Path) -> None:
    for email in ("ann@example.com", "bob@example.com"):
        made = cli(tmp_path, "user", "create", email, "--password-stdin", stdin=PASSWORD)
        assert made.returncode == 0, made.stderr
    assert cli(tmp_path, "user", "role", "ann@example.com", "add", "admin").returncode == 0
    assert cli(tmp_path, "user", "disable", "bob@example.com").returncode == 0

    listed = cli(tmp_path, "audit")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [
        "account_disabled",
        "role_added",
        "registered",
        "registered",
    ]
    assert "user=bob@example.com" in lines[0] and "authgate-cli (" in lines[0]

    as_json = cli(tmp_path, "audit", "--json", "--user", "ann@example.com", "--since", "1h")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["type"], r["email"], r["detail"]) for r in records] == [
        ("role_added", "ann@example.com", {"role": "admin"}),
        ("registered", "ann@example.com", {}),
    ]
    typed = cli(tmp_path, "audit", "--type", "registered", "--limit", "1")
    assert len(typed.stdout.splitlines()) == 1
    for bad in (["--type", "nonsense"], ["--since", "yesterday"], ["--user", "x@example.com"]):
        refused = cli(tmp_path, "audit", *bad)
        assert refused.returncode != 0, bad
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr


def test_a_key_rotation_is_an_event(tmp_path: Path) -> None:
    env = {"AUTHGATE_ALGORITHM": "EdDSA"}
    assert cli(tmp_path, "keys", "generate", **env).returncode == 0
    rotated = cli(tmp_path, "keys", "rotate", **env)
    assert rotated.returncode == 0, rotated.stderr
    kid = rotated.stdout.split()[3]
    record = json.loads(cli(tmp_path, "audit", "--json", **env).stdout.splitlines()[0])
    assert record["type"] == "key_rotated"
    assert record["detail"] == {"kid": kid, "algorithm": "EdDSA"}
