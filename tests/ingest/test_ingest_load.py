"""How a load treats the process it runs in: the garbage collector is paced down while a batch runs and put
back as it was when the batch ends, however it ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_samples import Ingest, org_row, write_csv

from xinyong.collector import BULK_GC_THRESHOLDS
from xinyong.errors import InvalidInput


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_the_collector_is_paced_during_a_batch_and_restored_after(
    tmp_path: Path, ingest: Ingest, thresholds: tuple[int, int, int]
) -> None:
    seen: list[tuple[int, int, int]] = []
    summary = ingest(
        write_csv(tmp_path / "mee.csv", [org_row(n) for n in range(5)]),
        advance=lambda _: seen.append(gc.get_threshold()),
    )
    assert summary.accepted == 5
    assert seen == [BULK_GC_THRESHOLDS]
    assert gc.get_threshold() == thresholds

    def fail(_: int) -> None:
        raise InvalidInput("stop", field="test")

    with pytest.raises(InvalidInput):
        ingest(write_csv(tmp_path / "again.csv", [org_row(n) for n in range(5, 9)]), advance=fail)
    assert gc.get_threshold() == thresholds
