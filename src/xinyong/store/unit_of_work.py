"""The store as services see it: one engine, reads on a connection, and writes in units of work.

A unit of work is one transaction: a change and the audit entry that records it commit together or not at
all. Services pass its connection to the repository functions (`subjects`, `records`, `audit_rows`, ...).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from xinyong.errors import StoreError
from xinyong.store import migrate
from xinyong.store.engine import (
    WRITE_INTENT,
    display_url,
    error_line,
    make_engine,
    parse_url,
    sqlite_file,
)


class Store:
    """A database at one URL: SQLite (embedded, WAL) or PostgreSQL, with the same tables and behaviour."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.display_url = display_url(parse_url(url))
        self.engine: Engine = make_engine(url)
        self._ready = False

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @property
    def shareable(self) -> bool:
        """Whether another process can open this database by its URL (any but an in-memory SQLite one)."""
        return self.dialect != "sqlite" or sqlite_file(parse_url(self.url)) is not None

    def init(self) -> str:
        """Create or migrate the tables to the code's revision (idempotent) and return that revision."""
        with self._reachable():
            revision = migrate.upgrade(self.engine)
        self._ready = True
        return revision

    def revision(self) -> str | None:
        """The revision the database is at, None when it was never initialised."""
        with self._reachable():
            return migrate.current_revision(self.engine)

    def check(self) -> None:
        """Fail with one clear line unless the database is reachable and at the code's revision."""
        if self._ready:
            return
        path = sqlite_file(parse_url(self.url))
        # Checking would create an empty file; a mistyped path should not leave one behind.
        current = None if path is not None and not path.exists() else self.revision()
        if current is None:
            raise StoreError(f"database not initialised: run `xinyong init` ({self.display_url})")
        head = migrate.head_revision()
        if current not in migrate.known_revisions():
            raise StoreError(migrate.newer_schema(current))
        if current != head:
            raise StoreError(f"database is at schema revision {current}, this version needs {head}: run `xinyong init`")
        self._ready = True

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reading; anything it writes is rolled back when the block ends."""
        self.check()
        with self._reachable(), self.engine.connect() as connection:
            yield connection

    @contextmanager
    def unit_of_work(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends normally, rolled back when it raises."""
        self.check()
        try:
            with (
                self._reachable(),
                self.engine.connect().execution_options(**{WRITE_INTENT: True}) as connection,
                connection.begin(),
            ):
                yield connection
        except BaseException as exc:
            if not isinstance(exc, Exception):  # Ctrl-C, SystemExit
                _let_go_of_statements(exc)
            raise

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, and in tests before a database is dropped)."""
        self.engine.dispose()

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        # Only failures of the database itself become StoreError; constraint violations stay what they are
        # so that repositories can turn them into Conflict with a message about the data.
        try:
            yield
        except OperationalError as exc:
            raise StoreError(f"database {self.display_url}: {error_line(exc)}") from None
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreError(f"database {self.display_url}: connection lost: {error_line(exc)}") from None
            raise


def _let_go_of_statements(interrupt: BaseException) -> None:
    # An interrupt in the middle of a statement leaves the driver's cursor unfinished, and SQLAlchemy closes
    # the connection; SQLite keeps a connection with an unfinished statement open, and its write lock with
    # it, until the cursor is freed, and the cursor lives on in the frames of the interrupt's traceback. The
    # caller's handler (an ingest marking its batch failed) then waited out the busy timeout and gave up.
    # The frames' variables are let go; the traceback keeps its files and lines.
    traceback.clear_frames(interrupt.__traceback__)
