"""Fixtures for the linkage tests: a registry on the test's store, and one Spark session for the session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from link_samples import Registry

from xinyong.settings import Settings
from xinyong.sparkengine import SPARK_INSTALL, spark_available, spark_session, stop_sessions
from xinyong.store import Store


@pytest.fixture
def registry(store: Store) -> Registry:
    """Subjects and records written into the test's own store (SQLite, and PostgreSQL when configured)."""
    return Registry(store)


@pytest.fixture(scope="session")
def spark_master() -> Iterator[str]:
    """The master URL of the process's Spark session, started once for every Spark test of the run.

    Skips only when pyspark or Java is missing; a Spark that is installed but cannot start fails.
    """
    if not spark_available():
        pytest.skip(f"pyspark is not installed ({SPARK_INSTALL})")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java, and there is none on PATH or in JAVA_HOME")
    master = Settings().spark_master
    spark_session(master)
    yield master
    stop_sessions()
