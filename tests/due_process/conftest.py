"""Fixtures for the due-process tests: a registry on the test's database with a person, another person
and a company."""

from __future__ import annotations

import pytest
from due_samples import ORG_ID, OTHER_ID, PERSON_ID, People, Registry

from xinyong.store import Store


@pytest.fixture
def registry(store: Store) -> Registry:
    """Writes subjects and records to the test's store."""
    return Registry(store)


@pytest.fixture
def people(registry: Registry) -> People:
    """张三 (a person), 李四 (another person) and 某某科技有限公司 (a company)."""
    return People(
        person=registry.subject("person", PERSON_ID, "张三"),
        other=registry.subject("person", OTHER_ID, "李四"),
        org=registry.subject("org", ORG_ID, "某某科技有限公司"),
    )
