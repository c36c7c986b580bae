"""`authgate mail test` and `authgate mail outbox`, run as the installed command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SECRET
from tests.mailserver import PASSWORD, REFUSED, MailServer

pytestmark = pytest.mark.slow

AUTHGATE = shutil.which("authgate", path=str(Path(sys.executable).parent)) or "authgate"


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    environment.update(
        AUTHGATE_SECRET=SECRET,
        AUTHGATE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'authgate.db'}",
        AUTHGATE_MAIL_FROM="authgate <no-reply@auth.example.com>",
        AUTHGATE_PUBLIC_URL="https://auth.example.com",
    )
    environment.update(env)
    return subprocess.run(
        [AUTHGATE, *args],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_mail_test_through_smtp(tmp_path: Path) -> None:
    server = MailServer(tmp_path / "mailserver", tls="starttls")
    server.start()
    try:
        # the CLI has no test CA: it gets the throwaway certificate through OpenSSL's
        # SSL_CERT_FILE, as a deployment with a private CA would
        assert server.tls_context is not None
        env = {"AUTHGATE_SMTP_URL": server.url, "SSL_CERT_FILE": str(server.directory / "cert.pem")}
        result = cli(tmp_path, "mail", "test", "ops@example.com", "--language", "ko", **env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"sent through smtp 127.0.0.1:{server.port}\n"
        [message] = server.wait_for("ops@example.com")
        assert message["Subject"] == "authgate 테스트 메일"
        assert message["Content-Language"] == "ko"
        assert server.deliveries()[0].tls
        refused = cli(tmp_path, "mail", "test", REFUSED, **env)
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1
        assert "not delivered (permanent)" in refused.stderr and "550" in refused.stderr
        assert PASSWORD not in refused.stderr + refused.stdout
    finally:
        server.stop()
    down = cli(tmp_path, "mail", "test", "ops@example.com", **env)
    assert down.returncode == 1 and down.stderr.count("\n") == 1
    assert "not delivered (temporary)" in down.stderr and "Traceback" not in down.stderr
    assert not (tmp_path / "authgate-outbox").exists()


def test_mail_test_into_the_outbox_and_the_listing(tmp_path: Path) -> None:
    first = cli(tmp_path, "mail", "test", "ops@example.com")
    assert first.returncode == 0, first.stderr
    outbox = tmp_path / "authgate-outbox"
    [path] = list(outbox.glob("*.eml"))
    assert first.stdout == f"written to {path}\n"
    second = cli(tmp_path, "mail", "test", "kim@example.com", "--language", "ko")
    assert second.returncode == 0, second.stderr
    listed = cli(tmp_path, "mail", "outbox")
    assert listed.returncode == 0 and listed.stderr == ""
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    assert "kim@example.com  authgate 테스트 메일" in lines[0]
    assert "ops@example.com  authgate test mail" in lines[1] and lines[1].endswith(str(path))
    as_json = [
        json.loads(line) for line in cli(tmp_path, "mail", "outbox", "--json").stdout.splitlines()
    ]
    assert [entry["to"] for entry in as_json] == ["kim@example.com", "ops@example.com"]
    assert set(as_json[0]) == {"date", "to", "subject", "file"}
    elsewhere = cli(tmp_path, "mail", "outbox", AUTHGATE_OUTBOX_DIR=str(tmp_path / "other"))
    assert elsewhere.stdout == "" and "no mail in" in elsewhere.stderr
    with_smtp = cli(tmp_path, "mail", "outbox", AUTHGATE_SMTP_URL="smtp://127.0.0.1:1")
    assert with_smtp.stdout == listed.stdout
    assert "AUTHGATE_SMTP_URL" in with_smtp.stderr.splitlines()[0]


@pytest.mark.parametrize(
    "address", ["not-an-address", "ops@example.com\r\nBcc: evil@example.com", "a@b@c"]
)
def test_a_bad_address_is_one_line_and_status_1(tmp_path: Path, address: str) -> None:
    result = cli(tmp_path, "mail", "test", address)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert result.stdout == "" and not (tmp_path / "authgate-outbox").exists()


def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    result = cli(tmp_path, "mail", "test", "ops@example.com", "--language", "fr")
    assert result.returncode == 1 and "--language" in result.stderr


def test_a_broken_template_setting_is_one_line(tmp_path: Path) -> None:
    missing = cli(tmp_path, "mail", "test", "ops@example.com", AUTHGATE_MAIL_TEMPLATES="nowhere")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "AUTHGATE_MAIL_TEMPLATES" in missing.stderr
    (tmp_path / "mine" / "en").mkdir(parents=True)
    (tmp_path / "mine" / "en" / "test.txt").write_text("{{ undefined_name }}\n")
    broken = cli(tmp_path, "mail", "test", "ops@example.com", AUTHGATE_MAIL_TEMPLATES="mine")
    assert broken.returncode == 1 and broken.stderr.count("\n") == 1
    assert "undefined_name" in broken.stderr and "Traceback" not in broken.stderr
