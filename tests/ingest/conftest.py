"""Fixtures for the ingest tests: the shipped catalog, a home folder, and ingest at the tests' fixed clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ingest_samples import Ingest

from xinyong.catalog import Catalog, default_catalog
from xinyong.clock import FixedClock
from xinyong.ingest import BatchSummary, ingest_paths
from xinyong.store import Store


@pytest.fixture
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def ingest(store: Store, catalog: Catalog, clock: FixedClock, home: Path) -> Ingest:
    """Ingest files as one batch of an agency (mee.110000, which sends the canonical feed, by default)."""

    def run(*paths: Path, agency: str = "mee.110000", **options: Any) -> BatchSummary:
        return ingest_paths(store, catalog, clock, list(paths), agency, home=home, **options)

    return run
