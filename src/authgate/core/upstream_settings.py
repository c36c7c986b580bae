"""``AUTHGATE_OIDC_PROVIDERS``: the providers users may sign in through (API.md §3.4).

A JSON object from a provider name to its settings::

    {"google": {"client_id": "…", "client_secret": "…"},
     "corp": {"issuer": "https://sso.example.com", "client_id": "…", "client_secret": "…"},
     "github": {"client_id": "…", "client_secret": "…"}}

``google`` and ``github`` are known by name; any other name needs the ``issuer``
whose ``/.well-known/openid-configuration`` is read: https, or http on a loopback
address (for testing). Pure parsing: no network here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authgate.core.oidc import LOOPBACK_HOSTS

GOOGLE_ISSUER = "https://accounts.google.com"
GITHUB = "github"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_KNOWN_FIELDS = frozenset({"issuer", "client_id", "client_secret", "scope", "display_name"})
_DISPLAY = {"google": "Google", "github": "GitHub"}


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamProvider:
    """One provider: ``issuer`` is None for GitHub (OAuth 2.0 and its user API)."""

    name: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    issuer: str | None = None
    scope: str = "openid email"
    display_name: str = ""

    @property
    def is_github(self) -> bool:
        return self.issuer is None


def _issuer(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name}: an issuer URL is required (only google and github are known)")
    parts = urlsplit(value)
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not (parts.scheme == "https" or loopback) or not parts.hostname:
        raise ValueError(f"{name}: the issuer must be https (or http on a loopback address)")
    if parts.query or parts.fragment:
        raise ValueError(f"{name}: the issuer has no query or fragment")
    return value.rstrip("/")


def _provider(name: str, raw: Any) -> UpstreamProvider:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r}: a name is 1 to 32 of a-z, 0-9, _ and -")
    if not isinstance(raw, dict):
        raise ValueError(f"{name}: each provider's settings are a JSON object")
    unknown = raw.keys() - _KNOWN_FIELDS
    if unknown:
        raise ValueError(f"{name}: unknown settings {sorted(unknown)}")
    client_id, secret = raw.get("client_id"), raw.get("client_secret")
    if not isinstance(client_id, str) or not client_id:
        raise ValueError(f"{name}: client_id is required")
    if secret is not None and not isinstance(secret, str):
        raise ValueError(f"{name}: client_secret is a string")
    if name == GITHUB and "issuer" not in raw:
        issuer, scope = None, "read:user user:email"
    else:
        issuer = GOOGLE_ISSUER if name == "google" and "issuer" not in raw else None
        issuer = issuer or _issuer(name, raw.get("issuer"))
        scope = "openid email"
    display = raw.get("display_name") or _DISPLAY.get(name) or name
    return UpstreamProvider(
        name=name,
        client_id=client_id,
        client_secret=secret or None,
        issuer=issuer,
        scope=str(raw.get("scope") or scope),
        display_name=str(display)[:64],
    )


def parse_providers(value: Any) -> dict[str, UpstreamProvider]:
    """The providers of AUTHGATE_OIDC_PROVIDERS (JSON text, or a mapping already).

    Raises:
        ValueError: one line saying what is wrong.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise ValueError("a JSON object from provider names to their settings is expected")
    return {
        name: raw if isinstance(raw, UpstreamProvider) else _provider(str(name), raw)
        for name, raw in value.items()
    }
