"""How a linkage run uses the process it runs in: its comparison keys computed by worker processes are the
keys this process computes (the same values, links and explanations), small runs and one-core machines start
no workers, and the garbage collector is paced while the run lasts."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from link_samples import CLOCK, populate

from xinyong.catalog import default_catalog
from xinyong.collector import BULK_GC_THRESHOLDS
from xinyong.link import link_pending, workers
from xinyong.link.normalise import Memo, mapped, org_keys
from xinyong.settings import Settings
from xinyong.store import Store
from xinyong.store import linkage as store_linkage

NAMES = ["北京（星辰）科技有限责任公司", "ＡＢＣ贸易有限公司", "北京星辰科技有限公司", None, "上海東方建設有限公司"] * 3


def test_workers_compute_what_this_process_computes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "MIN_VALUES", 1)
    with workers.key_workers(workers.MIN_RECORDS, processes=2) as pool:
        assert pool is not None
        shared = Memo(pool)
        calls = pool.map  # the workers are asked, not this process
        asked: list[int] = []
        monkeypatch.setattr(
            pool, "map", lambda fn, values, chunksize: asked.append(len(values)) or calls(fn, values, chunksize)
        )
        assert mapped(NAMES, org_keys, shared) == mapped(NAMES, org_keys)
        assert asked == [4]
        # A function not worth a worker's time stays here: a closure could not even be sent to one.
        seen: list[str] = []

        def upper(value: str) -> str:
            seen.append(value)
            return value.upper()

        assert mapped(["a", "b", "a"], upper, shared) == ["A", "B", "A"]
        assert seen == ["a", "b"]
    assert shared.table(org_keys)["ＡＢＣ贸易有限公司"] == ("ABC贸易有限公司", "ABC贸易")


def test_small_runs_and_single_cores_start_no_workers() -> None:
    with workers.key_workers(workers.MIN_RECORDS - 1, processes=2) as pool:
        assert pool is None
    with workers.key_workers(workers.MIN_RECORDS, processes=1) as pool:
        assert pool is None


def _linked(path: Path) -> tuple[list[Any], list[Any]]:
    store = Store(f"sqlite:///{path}")
    store.init()
    try:
        pending = populate(store, 60, strangers=15)
        link_pending(store, default_catalog(), CLOCK, Settings())
        with store.connect() as conn:
            links = sorted(store_linkage.assignments(conn), key=lambda a: a.pk)
            why = [store_linkage.explanations_for(conn, pk) for pk in pending]
        return links, why
    finally:
        store.dispose()


@pytest.mark.integration
def test_a_run_with_workers_links_as_a_run_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _linked(tmp_path / "alone.db")
    monkeypatch.setattr(workers, "MIN_RECORDS", 1)
    monkeypatch.setattr(workers, "MIN_VALUES", 1)
    started: list[Any] = []
    real = workers.key_workers

    def spy(records: int, *, processes: int | None = None) -> Any:
        context = real(records, processes=2)
        started.append(context)
        return context

    monkeypatch.setattr("xinyong.link.resolve.key_workers", spy)
    shared = _linked(tmp_path / "shared.db")
    assert started, "the run did not ask for workers"
    assert shared == alone
    assert len(alone[0]) >= 75


@pytest.mark.integration
def test_a_run_paces_the_collector_and_puts_it_back(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'paced.db'}")
    store.init()
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    seen: list[tuple[int, int, int]] = []
    try:
        populate(store, 5, strangers=2)
        link_pending(store, default_catalog(), CLOCK, Settings(), advance=lambda _: seen.append(gc.get_threshold()))
        assert seen
        assert set(seen) == {BULK_GC_THRESHOLDS}
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
        store.dispose()
