"""Fixtures for the linkage tests: a registry on the test's store."""

from __future__ import annotations

import pytest
from link_samples import Registry

from xinyong.store import Store


@pytest.fixture
def registry(store: Store) -> Registry:
    """Subjects and records written into the test's own store (SQLite, and PostgreSQL when configured)."""
    return Registry(store)
