"""On the synthetic province, end to end: the screening index (built from what the publisher published)
answers every check as deciding from the subject's file in the store does, for subjects under measure and
others, several actions and days; and the published targets are what the index holds."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from synth_feeds import Province

from xinyong.catalog import default_catalog
from xinyong.clock import CST, FixedClock
from xinyong.ingest import ingest_paths
from xinyong.link import link_pending
from xinyong.rules.decisions import decide
from xinyong.screening import ScreeningIndex, publish, subject_file
from xinyong.settings import Settings
from xinyong.store import Store, subjects
from xinyong.store import screening as screening_store

ACTIONS = ("air_ticket", "gov_procurement_bid", "serve_as_legal_rep", "bank_loan", "honor_award")


def test_the_index_answers_as_each_file_decides(province: Province, store: Store, tmp_path: Path) -> None:
    as_of = province.params.as_of
    clock = FixedClock(datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=CST))
    catalog = default_catalog()
    doc = json.loads((province.out / "truth" / "feeds.json").read_text(encoding="utf-8"))
    for feed in doc["feeds"]:
        ingest_paths(store, catalog, clock, [province.out / feed["path"]], feed["agency"], home=tmp_path)
    link_pending(store, catalog, clock, Settings())
    assert publish(store, catalog, clock) > 0
    index = ScreeningIndex.build(store, catalog)
    with store.connect() as conn:
        reached = {t.target_id for t in screening_store.iter_targets(conn) if t.target_id is not None}
        others = conn.exec_driver_sql("SELECT id_value FROM subjects WHERE id_value IS NOT NULL").scalars().all()
    rng = random.Random(5)
    sample = sorted(reached) + rng.sample(sorted(set(others) - reached), 150)
    days = [as_of + timedelta(days=d) for d in (-900, -400, -30, 0, 200, 800)]
    denied = 0
    with store.connect() as conn:
        for code in sample:
            row = subjects.get_by_id_value(conn, code)
            assert row is not None
            slow = subject_file(conn, catalog, row)
            for action in ACTIONS:
                for day in days:
                    fast, derived = index.check(code, action, day), decide(slow, action, day, catalog)
                    assert (fast.effect, fast.reasons) == (derived.effect, derived.reasons), (code, action, day)
                    denied += fast.effect == "deny"
    # The province puts enough people and companies under measure for the comparison to mean something.
    assert len(reached) > 100
    assert denied > 100
