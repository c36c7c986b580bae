"""OutboxTransport and list_outbox: private files written whole, names in time order."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import os
import re
import stat
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from authgate.mail import MailDeliveryError, OutboxTransport, list_outbox
from tests.helpers import register
from tests.mail.helpers import a_mail
from tests.mailserver import links_in

NAME = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}\.eml")


async def test_a_mail_is_one_private_eml_file_that_parses_back(tmp_path: Path) -> None:
    directory = tmp_path / "deep" / "outbox"
    message = a_mail(language="ko")
    where = await OutboxTransport(directory).send(message)
    path = Path(where)
    assert path.parent == directory and NAME.fullmatch(path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert os.listdir(directory) == [path.name]  # no temporary file left behind
    data = path.read_bytes()
    assert data == message.as_bytes()
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "Content-Language"):
        assert parsed[name] == message[name]
    assert parsed.as_bytes(policy=email.policy.SMTP) == data


async def test_names_sort_by_time(tmp_path: Path) -> None:
    transport = OutboxTransport(tmp_path)
    written = [Path(await transport.send(a_mail(f"user{n}@example.com"))).name for n in range(20)]
    assert sorted(written) == written and len(set(written)) == 20


async def test_an_unwritable_outbox_is_a_temporary_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(MailDeliveryError, match="outbox") as caught:
        await OutboxTransport(tmp_path / "file" / "outbox").send(a_mail())
    assert not caught.value.permanent


async def test_list_outbox_newest_first_and_skips_what_is_not_a_mail(tmp_path: Path) -> None:
    transport = OutboxTransport(tmp_path)
    paths = [Path(await transport.send(a_mail(f"user{n}@example.com"))) for n in range(3)]
    ko = Path(await transport.send(a_mail("kim@example.com", kind="reset", language="ko")))
    (tmp_path / "garbage.eml").write_bytes(os.urandom(256))
    (tmp_path / "no-headers.eml").write_text("just some text\n")
    (tmp_path / "bad-date.eml").write_text("To: a@example.com\nDate: yesterday\n\nx\n")
    (tmp_path / "directory.eml").mkdir()
    (tmp_path / "dangling.eml").symlink_to(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("To: a@example.com\n")
    entries = list_outbox(tmp_path)
    assert [entry.path for entry in entries] == [ko, *reversed(paths)]
    assert [entry.to for entry in entries] == [
        "kim@example.com",
        "user2@example.com",
        "user1@example.com",
        "user0@example.com",
    ]
    assert entries[0].subject == "비밀번호를 재설정해 주세요"
    assert entries[1].subject == "Confirm your email address"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entries[0].date)


def test_a_missing_outbox_is_empty(tmp_path: Path) -> None:
    assert list_outbox(tmp_path / "missing") == []
    (tmp_path / "file").write_text("")
    assert list_outbox(tmp_path / "file") == []


async def test_a_mail_placed_by_hand_sorts_by_its_file_time(tmp_path: Path) -> None:
    transport = OutboxTransport(tmp_path)
    first = Path(await transport.send(a_mail("first@example.com")))
    placed = tmp_path / "zz-by-hand.eml"
    placed.write_bytes(a_mail("hand@example.com").as_bytes())
    os.utime(placed, (0, 0))  # 1970: older than anything the outbox wrote
    assert [entry.path for entry in list_outbox(tmp_path)] == [first, placed]


@pytest.mark.parametrize(
    ("public_url", "logged"), [("https://auth.example.com", False), ("http://127.0.0.1:8000", True)]
)
async def test_the_outbox_log_line_carries_the_link_only_on_a_loopback_url(
    app_factory: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    public_url: str,
    logged: bool,
) -> None:
    """A link is a key to the account: a deployment's logs never carry one."""
    outbox = tmp_path / "outbox"
    app, _gate = await app_factory(public_url=public_url, outbox_dir=str(outbox))
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.INFO, logger="authgate.mail"):
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
            await register(client, "alice@example.com")
        for _ in range(200):
            lines = [r.getMessage() for r in caplog.records if "written to" in r.getMessage()]
            if lines:
                break
            await asyncio.sleep(0.05)
    [line] = lines
    [mail] = list_outbox(outbox)
    parsed = email.message_from_bytes(mail.path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    token = links_in(parsed)[0].split("token=", 1)[1]
    assert str(mail.path) in line
    assert (token in line) is logged
