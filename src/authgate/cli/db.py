"""`authgate db upgrade`."""

from __future__ import annotations

import typer

from authgate.cli._common import (
    run,
    settings_or_exit,
)

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)

# -- database ------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (SQLite or PostgreSQL)."""
    from authgate.storage.sql import Database

    settings = settings_or_exit()

    async def upgrade() -> str | None:
        db = Database(settings.database_url)
        try:
            await db.check_reachable()
            await db.upgrade()
            return await db.revision()
        finally:
            await db.dispose()

    typer.echo(f"database at revision {run(upgrade())}")
