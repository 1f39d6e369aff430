"""Alembic environment: runs on the connection `xinyong.store.migrate` hands over, online only."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from xinyong.store.schema import metadata


def run_migrations(connection: Connection) -> None:
    """Migrate on the given connection; SQLite gets batch mode as it cannot ALTER most things in place."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _connection() -> Connection:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through xinyong.store.migrate, which supplies the connection")
    return connection


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `xinyong init`")
run_migrations(_connection())
