"""Assertions shared by the failure tests."""

from __future__ import annotations

import logging
from typing import Any

import httpx


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {
        "detail": "The service is temporarily unavailable",
        "code": "service_unavailable",
    }


def outage_lines(caplog: Any, name: str) -> tuple[int, int]:
    """How many times the outage of ``name`` was logged, and its end."""
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("authgate")]
    down = sum(m.startswith(f"{name} unreachable") for m in messages)
    back = sum(m.startswith(f"{name} reachable again") for m in messages)
    return down, back


def assert_logged_once_not_per_request(caplog: Any) -> None:
    for record in caplog.records:
        if record.levelno >= logging.WARNING:
            assert "service_unavailable" not in record.getMessage(), record.getMessage()
            if record.levelno >= logging.ERROR:
                assert "unreachable" in record.getMessage(), record.getMessage()
