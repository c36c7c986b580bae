"""``authgate user import`` of hashes written by Node's bcryptjs and Go's x/crypto/bcrypt.

The hashes are made here, by the real libraries, from known passwords; the imported
users then log in to a live server, and their hashes are Argon2id afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Launcher, go_environment

pytestmark = pytest.mark.slow

PASSWORDS = {
    "plain": "hunter2hunter2",
    "unicode": "비밀번호 pässwörd ✓",
    # 121 bytes: bcryptjs and x/crypto/bcrypt (as Debian ships it) hash the first 72
    "long": "correct horse battery staple " * 4 + "!!!!",
}

GO_HASHER = """package main

import (
\t"encoding/json"
\t"fmt"
\t"os"

\t"golang.org/x/crypto/bcrypt"
)

func main() {
\tvar passwords []string
\tif err := json.Unmarshal([]byte(os.Args[1]), &passwords); err != nil {
\t\tpanic(err)
\t}
\tfor _, p := range passwords {
\t\thash, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.DefaultCost)
\t\tif err != nil {
\t\t\tfmt.Println("error:", err)
\t\t\tcontinue
\t\t}
\t\tfmt.Println(string(hash))
\t}
}
"""

NODE_HASHER = (
    "const bcrypt = require('bcryptjs');"
    "for (const p of JSON.parse(process.argv[1])) console.log(bcrypt.hashSync(p, 10));"
)


def node_hashes(example: Path, passwords: list[str]) -> list[str]:
    result = subprocess.run(
        ["node", "-e", NODE_HASHER, json.dumps(passwords)],
        cwd=example,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.split()


def go_hashes(go: str, workdir: Path, passwords: list[str]) -> list[str]:
    source = workdir / "hasher" / "main.go"
    source.parent.mkdir()
    source.write_text(GO_HASHER)
    result = subprocess.run(
        [go, "run", str(source), json.dumps(passwords)],
        cwd=source.parent,
        env=go_environment(workdir / "gopath"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def stored_hash(database: Path, email: str) -> str:
    with sqlite3.connect(database) as db:
        (value,) = db.execute(
            "SELECT password_hash FROM users WHERE email_key = ?", (email,)
        ).fetchone()
    return str(value)


def test_bcryptjs_and_go_users_log_in_after_the_import(
    launcher: Launcher, node_example: Path, go_toolchain: str, tmp_path: Path
) -> None:
    """Every imported user logs in with the old password, is re-hashed to Argon2id, and
    a password longer than 72 bytes counts whole from then on."""
    passwords = list(PASSWORDS.values())
    made = {
        "node": node_hashes(node_example, passwords),
        "go": go_hashes(go_toolchain, tmp_path, passwords),
    }
    assert {h[:4] for h in made["node"]} == {"$2b$"}  # bcryptjs 3
    assert {h[:4] for h in made["go"]} == {"$2a$"}
    users = {
        f"{library}-{name}@example.com": (password, made[library][i])
        for library in made
        for i, (name, password) in enumerate(PASSWORDS.items())
    }
    rows = [json.dumps({"email": e, "password_hash": h}) for e, (_, h) in users.items()]
    rows.insert(2, json.dumps({"email": "broken@example.com", "password_hash": "$2x$10$nope"}))
    import_file = tmp_path / "users.jsonl"
    import_file.write_text("\n".join(rows) + "\n")

    server = launcher.authgate()
    imported = server.cli("user", "import", str(import_file))
    assert imported.returncode == 1, imported.stderr  # one row skipped
    assert imported.stdout.strip() == f"imported {len(users)} users; skipped 1 rows"
    assert "line 3: not a bcrypt hash" in imported.stderr

    with httpx.Client(base_url=server.url) as client:

        def login(email: str, password: str) -> int:
            body = {"email": email, "password": password}
            return client.post("/auth/login", json=body).status_code

        for email, (password, old) in users.items():
            assert stored_hash(server.database, email) == old
            assert login(email, "X" + password[1:]) == 401, email
            assert login(email, password) == 200, email
            assert stored_hash(server.database, email).startswith("$argon2id$"), email
            assert login(email, password) == 200, email
        for library in made:
            long_password = PASSWORDS["long"]
            assert login(f"{library}-long@example.com", long_password[:72]) == 401
