"""A run's bulk writes: every verdict lands as `set_links` would write it, the subjects records leave and
join are marked for screening, and explanations that share their levels are stored once each."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from link_samples import NOW, Registry

from xinyong.link import model
from xinyong.link.settings import PERSON
from xinyong.store import LinkUpdate, Store, linkage
from xinyong.store.schema_screening import subject_changes

pytestmark = pytest.mark.integration


def _changed(store: Store) -> list[tuple[int, str]]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(subject_changes.c.subject_pk, subject_changes.c.cause).order_by("seq"))
        return [(int(pk), str(cause)) for pk, cause in rows]


def test_apply_links_writes_each_verdict_and_marks_both_subjects(registry: Registry) -> None:
    store = registry.store
    first, _ = registry.person("张伟", date(1980, 1, 2))
    second, _ = registry.person("李娜", date(1981, 3, 4))
    moved = registry.pending("张伟", kind="person")
    waiting = registry.pending("李娜", kind="person")
    untouched = registry.pending("王芳", kind="person")
    with store.unit_of_work() as conn:
        linkage.apply_links(conn, [LinkUpdate(moved, first, "model", 0.97, "L00000001")], at=NOW)
    before = _changed(store)
    with store.unit_of_work() as conn:
        written = linkage.apply_links(
            conn,
            [
                LinkUpdate(moved, second, "confirmed", 0.97, "L00000002"),  # leaves `first` for `second`
                LinkUpdate(waiting, None, "review", 0.6, "L00000002"),
            ],
            at=NOW,
        )
        # The staging table is the run's own: a second call in the same unit of work starts afresh.
        assert linkage.apply_links(conn, [], at=NOW) == 0
    assert written == 2
    assert before == [(first, "link")]
    assert sorted(_changed(store)[len(before) :]) == sorted([(first, "link"), (second, "link")])
    got = {pk: registry.record(pk) for pk in (moved, waiting, untouched)}
    assert (got[moved].subject_pk, got[moved].link, got[moved].link_probability, got[moved].link_run) == (
        second,
        "confirmed",
        0.97,
        "L00000002",
    )
    assert (got[waiting].subject_pk, got[waiting].link, got[waiting].link_run) == (None, "review", "L00000002")
    assert got[untouched].link == "pending"


def test_explanations_sharing_levels_are_stored_under_the_run(registry: Registry) -> None:
    store = registry.store
    subject, _ = registry.person("张伟", date(1980, 1, 2))
    pks = [registry.pending("张伟", kind="person") for _ in range(3)]
    shared = {"name": {"gamma": 6, "label": "same name", "match_weight": 9.5, "bayes_factor": 724.077344}}
    rows = [
        linkage.ExplanationRow(run="", record_pk=pk, rank=1, probability=0.99, match_weight=9.5, levels=shared)
        for pk in pks
    ]
    rows.append(
        linkage.ExplanationRow(
            run="", record_pk=pks[0], rank=2, probability=0.5, match_weight=0.0, levels={}, subject_pk=subject
        )
    )
    with store.unit_of_work() as conn:
        assert linkage.save_explanations(conn, rows, run="L00000009") == 4
    with store.connect() as conn:
        first = linkage.explanations_for(conn, pks[0])
        third = linkage.explanations_for(conn, pks[2])
    assert [(e.run, e.rank, dict(e.levels), e.subject_pk) for e in first] == [
        ("L00000009", 1, shared, None),
        ("L00000009", 2, {}, subject),
    ]
    assert [dict(e.levels) for e in third] == [shared]


def _pairs() -> pd.DataFrame:
    columns: dict[str, list[object]] = {"match_probability": [0.9, 0.8, 0.9], "match_weight": [3.0, 2.0, 3.0]}
    for comparison in PERSON.comparisons:
        top = len(comparison.levels) - 1
        columns[f"gamma_{comparison.name}"] = [top, top - 1, top]
        columns[f"mw_{comparison.name}"] = [2.5, 1.25, 2.5]
        if comparison.column in PERSON.tf_columns:
            columns[f"mw_tf_adj_{comparison.name}"] = [math.nan, 0.5, math.nan]
    return pd.DataFrame(columns)


def test_levels_of_pairs_gives_each_pair_what_levels_of_gives_it() -> None:
    pairs = _pairs()
    found = model.levels_of_pairs(PERSON, pairs)
    assert found == [model.levels_of(PERSON, row) for row in pairs.to_dict("records")]
    # Pairs alike share one description; the second pair's term-frequency adjustment is added in.
    assert found[0] is found[2]
    assert found[1]["name"]["match_weight"] == 1.75
    assert found[0]["name"]["match_weight"] == 2.5
