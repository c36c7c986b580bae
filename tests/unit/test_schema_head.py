"""The code's idea of the newest schema matches the migration scripts."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from authgate.storage.sql.database import MIGRATIONS, SCHEMA_HEAD


def test_schema_head_is_alembics_head() -> None:
    """SCHEMA_HEAD must be bumped with every new migration (it spares the server
    process from loading Alembic when nothing is pending)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_HEAD]
