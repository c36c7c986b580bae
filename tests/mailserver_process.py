"""A real SMTP server (aiosmtpd) for the tests, run as its own process by
``tests/mailserver.py``: ``python -m tests.mailserver_process --port N --directory D``.

Every message it accepts becomes ``D/<time>.eml`` (the bytes received) and, written
first, ``D/<time>.json`` (the envelope, and whether TLS and AUTH were used); both
atomically. It refuses the recipients named by ``--refuse`` with 550, and those named
by ``--defer`` with 450 (try later). It runs until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


class Handler:
    def __init__(self, directory: Path, refuse: set[str], defer: set[str]) -> None:
        self.directory = directory
        self.refuse = refuse
        self.defer = defer

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        if address.lower() in self.defer:
            return f"450 4.2.1 <{address}>: mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        transport = server.transport
        tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        auth = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": tls,
            "auth_login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
        }
        stem = f"{time.time_ns():020d}-{os.getpid()}"
        self._write(f"{stem}.json", json.dumps(record).encode())
        self._write(f"{stem}.eml", envelope.original_content or b"")
        return "250 2.0.0 stored"

    def _write(self, name: str, data: bytes) -> None:
        fd, temp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.directory)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, self.directory / name)


class Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self.user,
            self.password,
        )
        # handled=False: aiosmtpd answers a failure with 535 itself
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


async def serve(args: argparse.Namespace) -> None:
    directory = Path(args.directory)
    directory.mkdir(parents=True, exist_ok=True)
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    handler = Handler(directory, {a.lower() for a in args.refuse}, {a.lower() for a in args.defer})
    authenticator = Authenticator(args.user, args.password) if args.user else None

    def factory() -> SMTP:
        return SMTP(
            handler,
            hostname="mail.test",
            enable_SMTPUTF8=True,
            tls_context=context if args.tls == "starttls" else None,
            require_starttls=args.tls == "starttls",
            authenticator=authenticator,
            auth_required=authenticator is not None,
            # aiosmtpd counts only STARTTLS as TLS; with TLS from the start, all is TLS
            auth_require_tls=args.tls == "starttls",
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory,
        host="127.0.0.1",
        port=args.port,
        ssl=context if args.tls == "implicit" else None,
        reuse_address=True,
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", required=True)
    parser.add_argument("--tls", choices=("off", "starttls", "implicit"), default="off")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--defer", action="append", default=[])
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
