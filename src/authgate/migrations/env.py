"""Alembic environment: runs on the connection authgate hands over (see Database.upgrade).

``authgate db upgrade`` is the way to run it; plain ``alembic`` is not needed.
"""

from __future__ import annotations

from alembic import context

from authgate.storage.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `authgate db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
