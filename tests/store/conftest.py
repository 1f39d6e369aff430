"""Fixtures for the store tests: a record factory."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from store_samples import MakeRecord

from xinyong.store import RecordData


@pytest.fixture
def make_record() -> MakeRecord:
    """A factory for a court defaulter record; keyword arguments change any field."""

    def make(record_id: str = "R1", **changes: Any) -> RecordData:
        values: dict[str, Any] = {
            "agency": "court.110105",
            "record_id": record_id,
            "record_type": "court.defaulter",
            "subject_kind": "person",
            "subject_name": "张三",
            "subject_id": "11010519491231002X",
            "subject_id_raw": "110105194912310021x",
            "decided_on": date(2024, 1, 10),
            "valid_from": date(2024, 1, 10),
            "decision_no": "(2024)京0105执1234号",
            "amount": Decimal("12500.50"),
            "row_hash": f"hash-{record_id}",
        }
        values.update(changes)
        return RecordData(**values)

    return make
