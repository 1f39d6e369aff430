"""Migrations: `init` creates exactly the tables schema.py declares, on both databases, and is idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xinyong.store import Store, meta, partitions
from xinyong.store.migrate import MIGRATIONS, current_revision, head_revision, known_revisions
from xinyong.store.schema import metadata

HEAD = head_revision()

CORE_TABLES = {"subjects", "subject_roles", "batches", "records", "audit_log", "meta", "alembic_version"}
TABLES = CORE_TABLES | set(metadata.tables)


def _diff(store: Store, target: sa.MetaData) -> list[Any]:
    with store.engine.connect() as conn:
        # PostgreSQL's partitions and record_keys are compared by tests/store/test_partitions.py instead.
        include = partitions.include_object(partitions.layout_tables(conn))
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include})
        return list(compare_metadata(context, target))


def test_init_creates_every_table_at_head(store: Store) -> None:
    assert sorted(known_revisions())[-1] == HEAD
    assert store.revision() == HEAD
    with store.connect() as conn:
        layout = partitions.layout_tables(conn)
    assert set(sa.inspect(store.engine).get_table_names()) - layout == TABLES


def test_migrated_schema_matches_metadata(store: Store) -> None:
    assert _diff(store, metadata) == []


def test_comparison_would_notice_a_difference(store: Store) -> None:
    changed = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    sa.Table("meta", changed, sa.Column("note", sa.String(10)), extend_existing=True)
    diff = _diff(store, changed)
    assert [(op[0], op[2], op[3].name) for op in diff] == [("add_column", "meta", "note")]


def test_init_twice_keeps_data_and_revision(store: Store) -> None:
    with store.unit_of_work() as conn:
        meta.put(conn, "cursor.test", "42")
    assert store.init() == HEAD
    again = Store(store.url)
    try:
        assert again.init() == HEAD
        with again.connect() as conn:
            assert meta.get(conn, "cursor.test") == "42"
        assert current_revision(again.engine) == HEAD
    finally:
        again.dispose()


def test_migrations_need_no_ini_file_and_no_working_folder(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "alembic.ini").exists()
    assert (MIGRATIONS / "env.py").is_file()
    store = Store(db_url)
    try:
        assert store.revision() is None
        assert store.init() == HEAD
    finally:
        store.dispose()
