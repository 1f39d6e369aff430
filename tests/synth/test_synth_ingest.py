"""The generator's promise kept end to end: ingesting its feeds gives exactly the counts truth/feeds.json states."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from synth_feeds import Province

from xinyong.catalog import default_catalog
from xinyong.clock import CST, FixedClock
from xinyong.ingest import ingest_paths
from xinyong.store import Store


def test_ingest_reports_what_truth_expects(province: Province, store: Store, tmp_path: Path) -> None:
    as_of = province.params.as_of
    clock = FixedClock(datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=CST))
    doc = json.loads((province.out / "truth" / "feeds.json").read_text(encoding="utf-8"))
    catalog = default_catalog()
    for feed in doc["feeds"]:
        got = ingest_paths(store, catalog, clock, [province.out / feed["path"]], feed["agency"], home=tmp_path)
        expected = {k: feed[k] for k in ("rows", "accepted", "rejected", "unchanged", "superseded")}
        assert {k: getattr(got, k) for k in expected} == expected, feed["agency"]
