"""The value types of the settings: durations, URLs fit for a log line, blanks.

Pure functions, shared by :mod:`authgate.core.settings` and the code that reports
on a configuration (``authgate doctor``, error lines naming a database).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BeforeValidator

#: The longest duration accepted (ten years): any token lifetime beyond it would
#: only ever end in a date no clock or database column can hold.
MAX_DURATION_SECONDS = 3650 * 86400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)


def parse_duration(value: object) -> int:
    """Parse ``900``, ``"900"``, ``"15m"``, ``"7d"`` (s, m, h, d, w) into seconds.

    Raises:
        ValueError: the value is not a non-negative duration.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 900, 15m or 7d")
    if isinstance(value, int):
        seconds = value
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration (use seconds, or 15m, 12h, 7d)")
        number, unit = match.groups()
        seconds = int(number) * _UNITS[unit.lower() or "s"]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError("at most 3650d (ten years)")
    return seconds


Duration = Annotated[int, BeforeValidator(parse_duration)]


#: Query parameters that may carry a secret in a database or Redis URL.
_SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "pass", "sslpassword", "secret"})


def redact_url(url: str) -> str:
    """``url`` fit for a log line or an error: the password of the user part and
    any password-like query parameter replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    location, qmark, query = rest.partition("?")
    if "@" in location:
        userinfo, host = location.rsplit("@", 1)
        user, colon, _ = userinfo.partition(":")
        if colon:
            location = f"{user}:***@{host}"
    if query:
        pairs = []
        for pair in query.split("&"):
            key, equals, _ = pair.partition("=")
            secret = key.strip().lower() in _SECRET_QUERY_KEYS
            pairs.append(f"{key}=***" if secret and equals else pair)
        query = "&".join(pairs)
    return f"{scheme}{sep}{location}{qmark}{query}"


def check_port(url: str) -> None:
    """Raises ValueError unless the URL's port (if any) is a number from 1 to 65535."""
    try:
        port = urlsplit(url).port
    except ValueError:  # not a number, or above 65535
        port = 0
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")


def none_if_blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


OptionalText = Annotated[str | None, BeforeValidator(none_if_blank)]


def is_loopback_host(host: str | None) -> bool:
    """True for this machine: no host, ``localhost``, 127.0.0.0/8 or ``::1``."""
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of a comma-separated list of CIDRs (``10.0.0.0/8, ::1/128``); a
    bare address is its own /32 or /128, blank entries are skipped.

    Raises:
        ValueError: an entry that is not a network, named.
    """
    networks = []
    for part in (entry.strip() for entry in spec.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not a CIDR such as 10.0.0.0/8") from None
    return networks
