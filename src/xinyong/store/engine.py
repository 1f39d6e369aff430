"""Engines for the two supported databases: SQLite tuned for one busy writer (WAL), PostgreSQL via psycopg."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from xinyong.errors import StoreError

#: How long a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Write-ahead log pages (4 KiB each) after which a commit checkpoints them into the database, 128 MiB; SQLite's
#: default is 1,000 pages. Each checkpoint copies the pages back and syncs the database file, and a load's
#: commits each dirty thousands of index pages: at the default, a million-row ingest checkpointed after
#: nearly every chunk, about a tenth of its time (docs/benchmarks.md).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 32_768
#: How long a PostgreSQL connection attempt may take before the store reports it unreachable.
POSTGRES_CONNECT_TIMEOUT_S = 10

#: Connection execution option that makes a SQLite transaction take the write lock at BEGIN.
WRITE_INTENT = "xinyong_write"


def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it; `postgresql://` means psycopg 3, the only PostgreSQL driver shipped."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"XINYONG_DATABASE_URL: {url!r} is not a database URL") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise StoreError(
            f"XINYONG_DATABASE_URL: driver {parsed.drivername!r} is not supported; "
            "use sqlite:///PATH or postgresql+psycopg://..."
        )
    return parsed


def display_url(url: URL) -> str:
    """The URL with any password hidden, fit for messages and logs."""
    return url.render_as_string(hide_password=True)


def error_line(exc: DBAPIError) -> str:
    """The driver's own message, first line only: what a user can act on, without SQL or a traceback."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)


def make_engine(url: str) -> Engine:
    """An engine for the URL; a SQLite file gets its folder created and every connection the pragmas."""
    parsed = parse_url(url)
    json_options: dict[str, Any] = {"json_serializer": _json_dumps}
    try:
        if parsed.get_backend_name() == "sqlite":
            _make_parent_folder(parsed)
            engine = create_engine(parsed, connect_args={"check_same_thread": False}, **json_options)
            _tune_sqlite(engine)
            return engine
        return create_engine(
            parsed,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S},
            pool_pre_ping=True,
            **json_options,
        )
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"XINYONG_DATABASE_URL: {display_url(parsed)}: {exc}") from None


def _json_dumps(value: Any) -> str:
    # Chinese stays readable in the database, as it does in every other output.
    return json.dumps(value, ensure_ascii=False)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite database URL; None for in-memory and URI-style databases (and PostgreSQL)."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or url.query.get("uri"):
        return None
    return Path(database).expanduser()


def _make_parent_folder(url: URL) -> None:
    path = sqlite_file(url)
    if path is None:
        return
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the database folder {folder}: {exc.strerror or exc}") from None


def _tune_sqlite(engine: Engine) -> None:
    """WAL so readers never block the writer, foreign keys enforced, and transactions SQLAlchemy controls."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The sqlite3 module's own BEGIN handling skips SELECTs and DDL; SQLAlchemy emits BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the lock up front: upgrading a read transaction later fails at once when another
        # writer got in between, while BEGIN IMMEDIATE waits out the busy timeout.
        immediate = connection.get_execution_options().get(WRITE_INTENT, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
