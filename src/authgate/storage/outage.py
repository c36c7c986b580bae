"""One log line when a backing service goes away, one when it comes back.

While PostgreSQL or Redis is unreachable, every request that needs it answers 503;
logging each of them would bury the one line that matters. Each store keeps an
:class:`Outage` and reports failures and successes to it.
"""

from __future__ import annotations

import logging
import time


class Outage:
    """The state of one dependency (``"database"``, ``"redis"``), logged on change."""

    def __init__(self, name: str, log: logging.Logger) -> None:
        self.name = name
        self.log = log
        self.since: float | None = None

    @property
    def is_down(self) -> bool:
        return self.since is not None

    def failed(self, reason: object) -> None:
        """Record a failure; logs only the first of an outage."""
        if self.since is None:
            self.since = time.monotonic()
            self.log.error("%s unreachable (%s): answering 503 until it is back", self.name, reason)

    def recovered(self) -> None:
        """Record a success; logs the end of an outage."""
        if self.since is not None:
            self.log.warning(
                "%s reachable again after %.1f s", self.name, time.monotonic() - self.since
            )
            self.since = None
