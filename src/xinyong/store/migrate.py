"""Schema migrations run from code: Alembic configured in place, so an installed package needs no ini file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from xinyong.errors import StoreError
from xinyong.store.engine import WRITE_INTENT

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Any constant works; it only has to be the same in every process that migrates this database.
_MIGRATION_LOCK = 0x78696E796F6E67  # "xinyong"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration for the migrations inside the package, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The revision the code expects the database to be at."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def known_revisions() -> set[str]:
    """Every revision this version of the code has a migration for."""
    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to the head revision (a no-op when it is there already) and return that revision."""
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise StoreError(newer_schema(current))
    with engine.connect().execution_options(**{WRITE_INTENT: True}) as connection:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                # Two `xinyong init` at once would both try to create the tables; the second waits instead.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            command.upgrade(alembic_config(connection), "head")
        return head_revision()


def newer_schema(current: str) -> str:
    """The message for a database migrated by a newer version of xinyong than this one."""
    return f"database is at schema revision {current}, unknown to this version of xinyong: upgrade xinyong"
