"""The examples in other languages verify tokens of a live authgate, and refuse forgeries.

For HS256 (shared secret: Node's jsonwebtoken, Go's golang-jwt) and ES256 and
EdDSA (the JWKS URL: Node's jose, Go's golang-jwt), each example accepts a genuine token and
refuses a tampered one, an expired one (genuinely signed), an ``alg: none`` one,
and an HMAC keyed with the public key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from authgate.core.rotation import signing_record
from authgate.storage.keyfiles import KeyDirectory
from tests.conftest import SECRET
from tests.integration.conftest import (
    AuthgateServer,
    Launcher,
    Started,
    clean_environment,
    free_port,
)

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    decode = jwt.utils.base64url_decode
    return json.loads(decode(header)), json.loads(decode(payload))


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def signing_key(server: AuthgateServer, algorithm: str) -> tuple[Any, str | None]:
    """The key the server signs with (the test owns its secret and key directory)."""
    if algorithm == "HS256":
        return SECRET.encode(), None
    directory = KeyDirectory(server.keys_dir)
    record = signing_record(directory.records(), time.time())
    assert record is not None
    return directory.load_private(record), record.kid


def forgeries(server: AuthgateServer, algorithm: str, token: str) -> dict[str, tuple[str, str]]:
    """Name -> (token, the code a verifier must answer)."""
    header, claims = parts(token)
    key, kid = signing_key(server, algorithm)
    past = int(time.time()) - 3600
    expired = jwt.encode(
        {**claims, "iat": past - 900, "exp": past},
        key,
        algorithm=algorithm,
        headers={"kid": kid} if kid else None,
    )
    signature = token.rsplit(".", 1)[1]
    tampered = unsigned(header, {**claims, "sub": "someone-else"}) + "." + signature
    made = {
        "tampered": (tampered, "token_invalid"),
        "expired": (expired, "token_expired"),
        "alg-none": (unsigned({**header, "alg": "none"}, claims) + ".", "token_invalid"),
    }
    if algorithm != "HS256":
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signing_input = unsigned({**header, "alg": "HS256"}, claims)
        mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
        made["hs256-with-public-key"] = (f"{signing_input}.{b64(mac)}", "token_invalid")
    return made


@pytest.fixture(scope="module", params=["HS256", "ES256", "EdDSA"])
def server(request: pytest.FixtureRequest, launcher: Launcher) -> AuthgateServer:
    return launcher.authgate(algorithm=request.param, issuer="https://auth.example")


def access_token(server: AuthgateServer, email: str) -> str:
    with httpx.Client(base_url=server.url) as client:
        client.post("/auth/register", json={"email": email, "password": PASSWORD})
        answer = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])


def verifier_env(server: AuthgateServer) -> dict[str, str]:
    """What a service needs: the secret (HS256) or the JWKS URL, and the issuer."""
    env = clean_environment(PORT=str(free_port()), AUTHGATE_ISSUER="https://auth.example")
    if server.env["AUTHGATE_ALGORITHM"] == "HS256":
        env["AUTHGATE_SECRET"] = SECRET
    else:
        env["AUTHGATE_JWKS_URL"] = f"{server.url}/.well-known/jwks.json"
    return env


@pytest.fixture
def start_node(node_example: Path, launcher: Launcher) -> Callable[[AuthgateServer], Started]:
    def start(server: AuthgateServer) -> Started:
        argv = ["node", "server.js"]
        env = verifier_env(server)
        return launcher.start("node", argv, env=env, cwd=node_example, ready_path="/healthz")

    return start


@pytest.fixture
def start_go(go_example: Path, launcher: Launcher) -> Callable[[AuthgateServer], Started]:
    def start(server: AuthgateServer) -> Started:
        env = verifier_env(server)
        return launcher.start(
            "go", [str(go_example)], env=env, cwd=go_example.parent, ready_path="/healthz"
        )

    return start


@pytest.mark.parametrize("language", ["node", "go"])
def test_the_example_accepts_authgate_tokens_and_refuses_forgeries(
    request: pytest.FixtureRequest, server: AuthgateServer, language: str
) -> None:
    """200 for the genuine token; 401 with the right code for every forgery."""
    example = request.getfixturevalue(f"start_{language}")(server)
    algorithm = server.env["AUTHGATE_ALGORITHM"]
    token = access_token(server, f"{language}-{algorithm.lower()}@example.com")
    assert parts(token)[0]["alg"] == algorithm
    with httpx.Client(base_url=example.url) as client:
        accepted = client.get("/plans", headers={"Authorization": f"Bearer {token}"})
        assert accepted.status_code == 200, accepted.text + example.output()
        missing = client.get("/plans")
        assert missing.status_code == 401 and missing.json()["code"] == "token_missing"
        for name, (forged, code) in forgeries(server, algorithm, token).items():
            answer = client.get("/plans", headers={"Authorization": f"Bearer {forged}"})
            assert answer.status_code == 401, f"{name}: {answer.text}"
            assert answer.json()["code"] == code, name
            assert answer.headers["www-authenticate"].startswith("Bearer error="), name
