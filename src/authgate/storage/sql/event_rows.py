"""The one statement that keeps an event, for :meth:`Database.write
<authgate.storage.sql.database.Database.write>` (which adds the events noted in a
request to the transaction of its change) and for the event store."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import bindparam, insert

from authgate.core.events import Event
from authgate.storage.sql.prepared import Prepared
from authgate.storage.sql.tables import events

_FIELDS = ("at", "type", "user_id", "actor_id", "ip", "user_agent", "detail")
INSERT_EVENT = Prepared(insert(events).values({name: bindparam(name) for name in _FIELDS}))


def event_row(event: Event) -> dict[str, Any]:
    """The parameters of :data:`INSERT_EVENT` for ``event``."""
    return {
        "at": event.at,
        "type": event.type,
        "user_id": event.user_id,
        "actor_id": event.actor_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "detail": orjson.dumps(dict(event.detail)).decode(),
    }
