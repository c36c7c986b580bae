"""Sign and verify microseconds per algorithm, with PyJWT, on this machine.

    .venv/bin/python benchmarks/jwt_micro.py [--rounds 300] [--repeat 40] [--json]

Each figure is the best of ``--repeat`` short runs of ``--rounds`` operations on
an authgate-shaped token (sub, email, iat, exp, jti, sid; ``kid`` in the header
for the asymmetric algorithms): on a shared machine, the best of many short runs
measures the library and the CPU rather than the neighbours.

Two pairs of columns per algorithm: PyJWT's ``jwt.encode``/``jwt.decode`` with a
prepared key object, and authgate's own path (``AccessTokens.issue`` and a
``verify`` with its strict checks, its per-token cache cleared before each call so
that every call checks the signature).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import timeit
import uuid
from typing import Any

import cryptography
import jwt
from cryptography.hazmat.backends import default_backend

from authgate.core.jose import RSA_BITS, SigningKey, new_private_key, public_jwk
from authgate.core.keys import KeyRing
from authgate.core.tokens import AccessTokens

ALGORITHMS = ("HS256", "EdDSA", "ES256", "RS256")


def keys_for(algorithm: str) -> tuple[Any, Any, str | None]:
    """(signing key, verification key, kid)."""
    if algorithm == "HS256":
        secret = uuid.uuid4().hex.encode() * 2
        return secret, secret, None
    private = new_private_key(algorithm)
    kid = public_jwk(SigningKey(algorithm, None, private))["kid"]
    return private, private.public_key(), kid


def claims(now: int) -> dict[str, Any]:
    return {
        "sub": str(uuid.uuid4()),
        "email": "alice@example.com",
        "iat": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
    }


def best_microseconds(func: Any, rounds: int, repeat: int) -> float:
    return min(timeit.repeat(func, number=rounds, repeat=repeat)) / rounds * 1e6


def measure(algorithm: str, rounds: int, repeat: int) -> dict[str, Any]:
    signing, verifying, kid = keys_for(algorithm)
    now = int(time.time())
    payload = claims(now)
    headers = {"kid": kid} if kid else None
    token = jwt.encode(payload, signing, algorithm=algorithm, headers=headers)
    pyjwt_sign = best_microseconds(
        lambda: jwt.encode(payload, signing, algorithm=algorithm, headers=headers), rounds, repeat
    )
    pyjwt_verify = best_microseconds(
        lambda: jwt.decode(token, verifying, algorithms=[algorithm]), rounds, repeat
    )

    key = SigningKey(algorithm, kid, signing)
    ring = KeyRing(key, {kid: SigningKey(algorithm, kid, verifying)})
    tokens = AccessTokens(ring, ttl=900)
    ours = tokens.issue(user_id="u", email="alice@example.com", session_id="s", now=now)[0]

    def verify_uncached() -> None:
        tokens.forget_cached()
        tokens.verify(ours, now)

    authgate_issue = best_microseconds(
        lambda: tokens.issue(user_id="u", email="alice@example.com", session_id="s", now=now),
        rounds,
        repeat,
    )
    authgate_verify = best_microseconds(verify_uncached, rounds, repeat)
    return {
        "algorithm": algorithm,
        "token_bytes": len(token),
        "pyjwt_sign_us": round(pyjwt_sign, 1),
        "pyjwt_verify_us": round(pyjwt_verify, 1),
        "authgate_issue_us": round(authgate_issue, 1),
        "authgate_verify_us": round(authgate_verify, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--json", action="store_true", help="one JSON object per algorithm")
    args = parser.parse_args()
    rows = [measure(algorithm, args.rounds, args.repeat) for algorithm in ALGORITHMS]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(
        f"PyJWT {jwt.__version__}, cryptography {cryptography.__version__} "
        f"({default_backend().openssl_version_text()}), "
        f"Python {platform.python_version()}, {platform.machine()}; RSA {RSA_BITS} bits; "
        f"best of {args.repeat} x {args.rounds}"
    )
    print(
        "| alg | token bytes | PyJWT sign µs | PyJWT verify µs "
        "| authgate issue µs | authgate verify µs |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['algorithm']} | {row['token_bytes']} | {row['pyjwt_sign_us']} | "
            f"{row['pyjwt_verify_us']} | {row['authgate_issue_us']} | {row['authgate_verify_us']} |"
        )


if __name__ == "__main__":
    main()
