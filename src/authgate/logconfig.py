"""Logging for the server: uvicorn's loggers plus authgate's, one line per record:
plain text, or JSON objects (AUTHGATE_LOG_FORMAT=json) for a log pipeline."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any


def _utc(moment: datetime) -> str:
    """ISO 8601 with ``Z``, as the API writes times."""
    return moment.isoformat().replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the fields of a
    security event (``security_event``, :mod:`authgate.core.events`) at the top."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event = getattr(record, "security_event", None)
        if isinstance(event, dict):
            line.update(event)
            if isinstance(event.get("at"), str):
                line["at"] = event["at"].replace("+00:00", "Z")
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(level: str = "INFO", fmt: str = "text") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``authgate serve`` (also given to uvicorn);
    ``fmt`` is AUTHGATE_LOG_FORMAT (``text`` or ``json``)."""
    json_lines = fmt == "json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"()": "authgate.logconfig.JsonFormatter"},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": (
                    '%(asctime)s INFO access: %(client_addr)s "%(request_line)s" %(status_code)s'
                ),
            },
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "plain",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "access",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "authgate": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
    }
