"""Shared fixtures: a fixed clock, the test run's one Spark session (`spark_master`), and a database fixture
that runs storage tests on SQLite and PostgreSQL.

`db_url` gives every test its own empty database: a fresh SQLite file, or, when XINYONG_TEST_POSTGRES_URL
is set, a fresh PostgreSQL schema that the URL's `search_path` points at (so Alembic's version table
lands there too) and that is dropped afterwards. `store` is an initialised `Store` on that database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from xinyong.clock import CST, FixedClock
from xinyong.store import Store

POSTGRES_ENV = "XINYONG_TEST_POSTGRES_URL"

#: The instant every test's clock stands at, unless a test sets its own.
TEST_NOW = datetime(2025, 6, 1, 12, 0, tzinfo=CST)


@pytest.fixture
def clock() -> FixedClock:
    """A clock stopped at noon China Standard Time on 2025-06-01."""
    return FixedClock(TEST_NOW)


def _postgres_param() -> object:
    marks = [pytest.mark.postgres, pytest.mark.integration]
    if not os.environ.get(POSTGRES_ENV):
        marks.append(pytest.mark.skip(reason=f"{POSTGRES_ENV} not set"))
    return pytest.param("postgres", marks=marks, id="postgres")


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.integration, id="sqlite"), _postgres_param()])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty database of its own for this test, on each supported backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'xinyong.db'}"
        return
    with _postgres_schema(os.environ[POSTGRES_ENV]) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An initialised store on the test's own database."""
    store = Store(db_url)
    store.init()
    try:
        yield store
    finally:
        store.dispose()


@contextmanager
def _postgres_schema(base_url: str) -> Iterator[str]:
    """A uniquely named schema for one test; its connections carry its name, so leftovers can be ended."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    base = make_url(base_url)
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    url = base.set(drivername="postgresql+psycopg").update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": schema}
    )
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            # A test that forgot to close a connection must not make the drop wait for it.
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND pid <> pg_backend_pid()",
                (schema,),
            )
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="session")
def spark_master() -> Iterator[str]:
    """The master URL of the process's one Spark session, started once for the whole test run (~15 s;
    `sparkengine` shares it) and stopped at its end; skipped only where pyspark or Java is missing."""
    from xinyong.sparkengine import spark_available, spark_session, stop_sessions

    if not spark_available():
        pytest.skip("pyspark is not installed (pip install 'xinyong[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java, and there is none here")
    master = "local[*]"
    spark_session(master)
    yield master
    stop_sessions()
