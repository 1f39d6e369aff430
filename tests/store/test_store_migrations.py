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


def _to(store: Store, revision: str, *, down: bool) -> None:
    from alembic import command

    from xinyong.store.migrate import alembic_config

    with store.engine.connect() as connection, connection.begin():
        (command.downgrade if down else command.upgrade)(alembic_config(connection), revision)


def test_explanations_keep_their_levels_through_the_level_sets_migration(store: Store, make_record: Any) -> None:
    from datetime import UTC, datetime

    from xinyong.store import bulk_records, linkage

    shared = {"name": {"gamma": 3, "label": "同名 same name", "match_weight": 9.5, "bayes_factor": 724.08}}
    other = {"phone": {"gamma": -1, "label": "missing on a side", "match_weight": 0.0, "bayes_factor": 1.0}}
    late = {"district": {"gamma": 1, "label": "same district", "match_weight": 1.5, "bayes_factor": 2.83}}
    with store.unit_of_work() as conn:
        one, two = bulk_records.bulk_insert(
            conn, [make_record("A"), make_record("B")], recorded_at=datetime(2025, 1, 1, tzinfo=UTC)
        )
        rows = [
            linkage.ExplanationRow("", one, 1, 0.99, 9.5, shared),
            linkage.ExplanationRow("", two, 1, 0.98, 9.5, dict(shared)),  # equal, not the same object
            linkage.ExplanationRow("", one, 2, 0.5, 0.0, other),
        ]
        linkage.save_explanations(conn, rows, run="L00000001")
    _to(store, "0008", down=True)
    with store.engine.connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("link_explanations")][-1] == "levels"
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO link_explanations (run, record_pk, rank, probability, match_weight, levels) "
                "VALUES ('L00000002', :pk, 1, 0.7, 1.5, :levels)"
            ),
            {"pk": two, "levels": linkage._json(late)},
        )
    _to(store, HEAD, down=False)
    assert _diff(store, metadata) == []
    with store.connect() as conn:
        first = linkage.explanations_for(conn, one)
        second = linkage.explanations_for(conn, two)
        sets = conn.execute(sa.text("SELECT pk, digest FROM link_level_sets ORDER BY pk")).all()
        # A set the migration made is found again by a later run with the same levels.
        linkage.save_explanations(conn, [linkage.ExplanationRow("", two, 1, 0.6, 1.5, late)], run="L00000003")
        assert conn.execute(sa.text("SELECT COUNT(*) FROM link_level_sets")).scalar_one() == 3
        # A new one is numbered after the sets the migration numbered itself.
        linkage.save_explanations(conn, [linkage.ExplanationRow("", one, 1, 0.6, 1.5, {"x": {}})], run="L00000004")
        assert conn.execute(sa.text("SELECT MAX(pk), COUNT(*) FROM link_level_sets")).one() == (4, 4)
    assert [(e.run, e.rank, dict(e.levels)) for e in first] == [("L00000001", 1, shared), ("L00000001", 2, other)]
    assert [(e.run, dict(e.levels)) for e in second] == [("L00000001", shared), ("L00000002", late)]
    assert [digest for _, digest in sets] == [linkage.level_digest(linkage._json(v)) for v in (shared, other, late)]
