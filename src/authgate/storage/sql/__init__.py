"""SQLAlchemy 2 (async) storage: SQLite with aiosqlite, PostgreSQL with asyncpg."""

from authgate.storage.sql.database import Database
from authgate.storage.sql.plans import SqlPlans
from authgate.storage.sql.revocations import SqlRevocationStore
from authgate.storage.sql.sessions import SqlSessions
from authgate.storage.sql.users import SqlUsers

__all__ = ["Database", "SqlPlans", "SqlRevocationStore", "SqlSessions", "SqlUsers"]
