"""Estimation on enough data: the parameters are stored with the run, the same data and seed give the
same links, and a later run can reuse a stored model exactly."""

from __future__ import annotations

import pytest
from link_samples import CLOCK, Registry, populate

from xinyong.catalog import default_catalog
from xinyong.link import link_pending
from xinyong.link.settings import PERSON
from xinyong.settings import Settings
from xinyong.store import Store, linkage, records

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CAT = default_catalog()


def _links(store: Store, pks: list[int]) -> list[tuple[str, str | None, float | None]]:
    out = []
    with store.connect() as conn:
        for pk in pks:
            row = records.get(conn, pk)
            assert row is not None
            key = None if row.subject_pk is None else f"S{row.subject_pk:08d}"
            p = None if row.link_probability is None else round(row.link_probability, 9)
            out.append((row.link, key, p))
    return out


def test_estimated_model_is_stored_and_reproducible(store: Store, tmp_path_factory: pytest.TempPathFactory) -> None:
    pending = populate(store, 240, seed=5)
    summary = link_pending(store, CAT, CLOCK, Settings(), seed=3)
    assert summary.pending == 260
    # Most of the known people are found again; the strangers get subjects of their own.
    assert summary.linked_by_model >= 200
    assert summary.subjects_created >= 15

    with store.connect() as conn:
        (run,) = linkage.runs(conn, kind="person")
    steps = [s["step"] for s in run.model["steps"]]
    assert steps[:2] == ["lambda", "u"]
    assert "em" in steps
    params = run.model["parameters"]
    assert 0 < params["lambda"] < 1
    assert sorted(params["comparisons"]) == sorted(c.name for c in PERSON.comparisons)
    for comparison in PERSON.comparisons:
        levels = params["comparisons"][comparison.name]
        assert len(levels) == len(comparison.levels)
        assert all(0 < level["m"] < 1 and 0 < level["u"] < 1 for level in levels)
    assert run.seed == 3
    assert run.settings["spec"]["blocking"] == list(PERSON.blocking)
    assert run.settings["splink"]["link_type"] == "link_only"

    # The same data and seed in another database give the same links.
    twin = Store(f"sqlite:///{tmp_path_factory.mktemp('twin') / 'twin.db'}")
    twin.init()
    try:
        assert populate(twin, 240, seed=5) == pending
        link_pending(twin, CAT, CLOCK, Settings(), seed=3)
        assert _links(twin, pending) == _links(store, pending)
    finally:
        twin.dispose()


def test_a_later_run_reuses_a_stored_model(store: Store) -> None:
    populate(store, 220, seed=8)
    first = link_pending(store, CAT, CLOCK, Settings(), seed=1)
    registry = Registry(store)
    again = registry.pending("王芳", kind="person")
    second = link_pending(store, CAT, CLOCK, Settings(), reuse=first.run)
    with store.connect() as conn:
        old = linkage.run_model(conn, first.run or "", "person")
        new = linkage.run_model(conn, second.run or "", "person")
    assert new.model["parameters"] == old.model["parameters"]
    assert new.model["steps"] == [{"step": "reused"}]
    assert registry.record(again).link_run == second.run
    latest = link_pending(store, CAT, CLOCK, Settings(), reuse="latest")
    assert latest.run is None  # nothing left pending; reusing needs no estimation either
