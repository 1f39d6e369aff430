"""Engines: SQLite runs with WAL and enforced foreign keys; failures become one StoreError line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_samples import T0, MakeRecord

from xinyong.errors import Conflict, StoreError
from xinyong.store import Store, make_engine, migrate, records
from xinyong.store.engine import SQLITE_BUSY_TIMEOUT_MS

pytestmark = pytest.mark.integration


def _pragma(engine: sa.Engine, name: str) -> object:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_runs_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert _pragma(engine, "journal_mode") == "wal"
        assert _pragma(engine, "foreign_keys") == 1
        assert _pragma(engine, "synchronous") == 1  # NORMAL
        assert _pragma(engine, "busy_timeout") == SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()


def test_sqlite_file_folder_is_created(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "x.db"
    store = Store(f"sqlite:///{target}")
    try:
        store.init()
        assert target.is_file()
    finally:
        store.dispose()


def test_sqlite_folder_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the database folder"):
        make_engine(f"sqlite:///{tmp_path / 'file' / 'x.db'}")


def test_foreign_keys_are_enforced(store: Store, make_record: MakeRecord) -> None:
    orphan = make_record(subject_pk=999)
    with (
        pytest.raises(Conflict, match=r"court\.110105:R1 version 1 cannot be stored"),
        store.unit_of_work() as conn,
    ):
        records.insert_version(conn, orphan, recorded_at=T0)
    with store.connect() as conn:
        assert records.count(conn) == 0


def test_uninitialised_database_is_a_store_error(db_url: str) -> None:
    store = Store(db_url)
    try:
        with (
            pytest.raises(StoreError, match=r"database not initialised: run `xinyong init`"),
            store.connect(),
        ):
            pass
        with pytest.raises(StoreError, match="not initialised"), store.unit_of_work():
            pass
    finally:
        store.dispose()


def test_checking_a_missing_sqlite_file_does_not_create_it(tmp_path: Path) -> None:
    target = tmp_path / "typo.db"
    store = Store(f"sqlite:///{target}")
    with pytest.raises(StoreError, match="not initialised"), store.connect():
        pass
    assert not target.exists()
    sqlite3.connect(target).close()  # an empty file, as a crashed first run might leave
    with pytest.raises(StoreError, match="not initialised"), store.connect():
        pass
    store.dispose()


def test_older_schema_revision_asks_for_init(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # As if this code shipped a second migration that the database has not had yet.
    head = migrate.head_revision()
    known = migrate.known_revisions()
    nxt = f"{int(head) + 1:04d}"
    monkeypatch.setattr(migrate, "head_revision", lambda: nxt)
    monkeypatch.setattr(migrate, "known_revisions", lambda: {*known, nxt})
    stale = Store(store.url)
    try:
        with (
            pytest.raises(StoreError, match=f"schema revision {head}, this version needs {nxt}: run `xinyong init`"),
            stale.connect(),
        ):
            pass
    finally:
        stale.dispose()


def test_schema_from_a_newer_version_is_named(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    newer = Store(store.url)
    try:
        with pytest.raises(StoreError, match="revision 9999, unknown to this version of xinyong"):
            newer.check()
        with pytest.raises(StoreError, match="upgrade xinyong"):
            newer.init()
    finally:
        newer.dispose()


def test_unreachable_postgres_is_one_line() -> None:
    store = Store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    try:
        with pytest.raises(StoreError) as caught:
            store.init()
    finally:
        store.dispose()
    message = caught.value.one_line()
    assert message.startswith("database postgresql+psycopg://nobody:***@127.0.0.1:1/none: ")
    assert "secret" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://u@h/db", "driver 'mysql' is not supported"),
    ],
)
def test_bad_urls_are_store_errors(url: str, reason: str) -> None:
    with pytest.raises(StoreError, match=reason):
        make_engine(url)


def test_plain_postgresql_url_means_psycopg() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:1/db")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
