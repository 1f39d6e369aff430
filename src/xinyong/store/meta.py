"""Small named values the system keeps between runs: change-feed cursors, the latest signed checkpoint."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from xinyong.store.schema import meta


def get(conn: Connection, key: str) -> str | None:
    """The value under `key`, None when it was never set."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()
    return None if value is None else str(value)


def put(conn: Connection, key: str, value: str) -> None:
    """Set the value under `key`, replacing any earlier one in one statement, so racing writers are safe."""
    insert = postgresql_insert(meta) if conn.dialect.name == "postgresql" else sqlite_insert(meta)
    statement = insert.values(key=key, value=value)
    conn.execute(statement.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value}))


def with_prefix(conn: Connection, prefix: str) -> dict[str, str]:
    """Every value whose key starts with `prefix` (for example all cursors, `cursor.`)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(meta.c.key, meta.c.value).where(meta.c.key.like(f"{escaped}%", escape="\\"))
    return {str(key): str(value) for key, value in conn.execute(query.order_by(meta.c.key))}
