"""Publishing what changed must leave the published targets exactly as working every subject out afresh
would: random histories of listing records, corrections (of content, of who a record names, sent back to
linkage), linkage verdicts and legal-representative changes, published at random moments; at the end a
full republish of every subject finds nothing to change, and an index kept up by refreshes from the
change feed answers every check as an index built afresh does."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from xinyong.catalog import default_catalog
from xinyong.clock import CST, FixedClock
from xinyong.ids import resident_id, uscc
from xinyong.screening import ScreeningIndex, publish
from xinyong.screening.publisher import republish
from xinyong.store import NewSubject, RecordData, Store, records, roles, subjects
from xinyong.store.records import LinkUpdate

CAT = default_catalog()
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=CST)
TYPES = ("court.defaulter", "court.consumption_restriction")


def _subjects(store: Store) -> tuple[list[int], list[int], list[str]]:
    rng = random.Random(0)
    people = [resident_id.generate(rng, "110105", date(1980, 1, 1) + timedelta(days=i), i % 2 == 0) for i in range(6)]
    orgs = [uscc.generate(rng) for _ in range(4)]
    made = [
        NewSubject(kind="person", name=f"人{i}", name_norm=f"人{i}", id_kind="resident_id", id_value=code)
        for i, code in enumerate(people)
    ]
    made += [
        NewSubject(kind="org", name=f"公司{i}", name_norm=f"公司{i}", id_kind="uscc", id_value=code)
        for i, code in enumerate(orgs)
    ]
    with store.unit_of_work() as conn:
        rows = subjects.create_many(conn, made, at=T0)
    return [r.pk for r in rows if r.kind == "person"], [r.pk for r in rows if r.kind == "org"], people + orgs


def _version(rng: random.Random, record_id: str, kind: str, subject_pk: int | None, link: str) -> RecordData:
    decided = date(2024, 1, 1) + timedelta(days=rng.randrange(60))
    return RecordData(
        agency="court.110105",
        record_id=record_id,
        record_type=rng.choice(TYPES),
        subject_kind=kind,
        subject_name="某",
        subject_pk=subject_pk,
        link=link,
        decided_on=decided,
        valid_to=None if rng.random() < 0.3 else decided + timedelta(days=rng.randrange(30, 400)),
        decision_no=f"(2024)京0105执{rng.randrange(1000)}号",
        row_hash=f"h{rng.random()}",
    )


@pytest.mark.parametrize("seed", range(8))
def test_incremental_publishing_matches_a_full_republish(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    people, orgs, codes = _subjects(store)
    kept = ScreeningIndex.build(store, CAT)
    of_kind = {"person": people, "org": orgs}
    kinds: dict[str, str] = {}
    now = T0
    for step in range(60):
        now += timedelta(hours=1)
        draw = rng.random()
        with store.unit_of_work() as conn:
            if draw < 0.3 or not kinds:
                record_id = f"R{step}"
                kind = rng.choice(("person", "org"))
                kinds[record_id] = kind
                records.insert_version(
                    conn, _version(rng, record_id, kind, rng.choice(of_kind[kind]), "id"), recorded_at=now
                )
            elif draw < 0.65:
                record_id = rng.choice(sorted(kinds))
                old = records.current(conn, "court.110105", record_id)
                assert old is not None
                kind = kinds[record_id]
                shift = rng.random()
                if shift < 0.4:  # the same subject, other content (a fulfilment, a new end)
                    new = _version(rng, record_id, kind, old.subject_pk, old.link)
                elif shift < 0.75:  # another subject named by a valid identifier
                    new = _version(rng, record_id, kind, rng.choice(of_kind[kind]), "id")
                else:  # nobody yet: the correction waits for linkage
                    new = _version(rng, record_id, kind, None, "pending")
                records.supersede(conn, replace(new, status=rng.choice(("in_force", "fulfilled"))), at=now)
            elif draw < 0.85:
                waiting = records.pending(conn)
                if waiting:
                    target = rng.choice(waiting)
                    link = rng.choice(("confirmed", "model"))
                    records.set_links(
                        conn, [LinkUpdate(target.pk, rng.choice(of_kind[target.subject_kind]), link)], at=now
                    )
            else:
                roles.set_legal_rep(
                    conn, rng.choice(orgs), rng.choice(people), date(2023, 1, 1) + timedelta(days=rng.randrange(500))
                )
        if rng.random() < 0.3:
            publish(store, CAT, FixedClock(now), chunk=rng.choice((1, 3, 20_000)))
        if rng.random() < 0.2:
            kept.refresh(store, limit=rng.choice((1, 10_000)))
    publish(store, CAT, FixedClock(now))
    with store.unit_of_work() as conn:
        assert republish(conn, CAT, [*people, *orgs], now) == 0
    kept.refresh(store)
    fresh = ScreeningIndex.build(store, CAT)
    days = [date(2024, 1, 1) + timedelta(days=d) for d in range(0, 500, 7)]
    for code in codes:
        for action in ("air_ticket", "serve_as_legal_rep", "gov_procurement_bid"):
            for day in days:
                assert kept.check(code, action, day) == fresh.check(code, action, day), (code, action, day)
