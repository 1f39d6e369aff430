"""Primary keys handed out before the insert, so a row's derived names (a subject's key) and a bulk load's
pks are known without a second statement."""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select, text


def allocate(conn: Connection, table: Table, n: int) -> list[int]:
    """`n` fresh pks for `table`, ascending; call inside a unit of work."""
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence(:table, 'pk')) FROM generate_series(1, :n)")
        return sorted(int(pk) for pk in conn.execute(query, {"table": table.name, "n": n}).scalars())
    # A unit of work on SQLite holds the write lock from BEGIN IMMEDIATE, so nobody else takes these; rows
    # are never deleted, so a pk is never handed out twice.
    top = conn.execute(select(func.coalesce(func.max(table.c.pk), 0))).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + n))
