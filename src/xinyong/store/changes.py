"""Marks on subjects whose listings may have changed without a new record version (a link, a role)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection

from xinyong.store.schema_screening import subject_changes


def touch(conn: Connection, subject_pks: Iterable[int | None], cause: str, *, at: datetime | None = None) -> None:
    """Mark subjects whose listings may have changed without a new record version."""
    pks = sorted({pk for pk in subject_pks if pk is not None})
    if pks:
        when = at or datetime.now(UTC)
        conn.execute(subject_changes.insert(), [{"subject_pk": pk, "at": when, "cause": cause} for pk in pks])
