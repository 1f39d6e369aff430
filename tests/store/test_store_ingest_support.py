"""What ingestion asks of the store in bulk: every stored version of a chunk's records at once, a running
batch's progress, legal representatives named many at a time, and fresh planner statistics."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest
from store_samples import T0, MakeRecord, at

from xinyong.errors import Conflict, NotFound
from xinyong.store import BatchCounts, NewSubject, Store, batches, bulk_records, records, roles, subjects


def test_known_records_gives_current_state_history_and_last_version(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        first = records.insert_version(conn, make_record("R1", row_hash="h1"), recorded_at=at(0))
        records.supersede(conn, make_record("R1", row_hash="h2", subject_name="张三丰"), at=at(1))
        records.insert_version(conn, make_record("R2", row_hash="h3"), recorded_at=at(0))
        records.insert_version(conn, make_record("R3", row_hash="h4", agency="tax.110000"), recorded_at=at(0))
    with store.connect() as conn:
        known = bulk_records.known_records(conn, "court.110105", ["R1", "R2", "R3", "R9"])
    assert set(known) == {"R1", "R2"}
    r1 = known["R1"]
    assert (r1.last_version, r1.hashes) == (2, frozenset({"h1", "h2"}))
    assert r1.current is not None
    assert (r1.current.version, r1.current.row_hash, r1.current.subject_name) == (2, "h2", "张三丰")
    assert r1.current.pk != first.pk
    assert (r1.current.link, r1.current.subject_id_raw) == ("pending", "110105194912310021x")
    assert known["R2"].hashes == frozenset({"h3"})


def test_known_records_reads_many_keys_in_chunks(store: Store, make_record: MakeRecord) -> None:
    rows = [make_record(f"R{n:04d}", row_hash=f"h{n}") for n in range(bulk_records.CHUNK * 2 + 7)]
    with store.unit_of_work() as conn:
        bulk_records.bulk_insert(conn, rows, recorded_at=at(0))
    with store.connect() as conn:
        known = bulk_records.known_records(conn, "court.110105", (r.record_id for r in rows))
        bulk_records.refresh_statistics(conn)  # harmless on either database
    assert len(known) == len(rows)
    assert all(k.current is not None and k.last_version == 1 for k in known.values())


def test_progress_of_a_running_batch(store: Store) -> None:
    with store.unit_of_work() as conn:
        pk = batches.start(conn, agency="mee.110000", files=["f.csv"], format="csv", file_sha256="0", at=T0).pk
        batches.record_progress(conn, pk, BatchCounts(rows=5, accepted=4, rejected=1))
        batches.record_progress(conn, pk, BatchCounts(rows=9, accepted=7, rejected=2), quarantine_path="q/1.csv")
    with store.connect() as conn:
        running = batches.get(conn, pk)
    assert running is not None
    assert (running.status, running.counts, running.quarantine_path) == (
        "running",
        BatchCounts(rows=9, accepted=7, rejected=2),
        "q/1.csv",
    )
    with store.unit_of_work() as conn:
        batches.finish(conn, pk, running.counts, at=T0)
    with pytest.raises(Conflict, match=f"batch {pk} is already done"), store.unit_of_work() as conn:
        batches.record_progress(conn, pk, BatchCounts())
    with pytest.raises(NotFound, match="batch 999 does not exist"), store.unit_of_work() as conn:
        batches.record_progress(conn, 999, BatchCounts())


def _people(store: Store, n: int) -> tuple[int, list[int]]:
    made = [NewSubject(kind="org", name="某公司", name_norm="某公司")]
    made += [NewSubject(kind="person", name=f"人{k}", name_norm=f"人{k}") for k in range(n)]
    with store.unit_of_work() as conn:
        stored = subjects.create_many(conn, made, at=T0)
    return stored[0].pk, [s.pk for s in stored[1:]]


def _periods(store: Store, org: int) -> list[tuple[int, date, date | None]]:
    with store.connect() as conn:
        return [(r.person_pk, r.valid_from, r.valid_to) for r in roles.history(conn, org)]


@pytest.mark.parametrize("seed", range(12))
def test_set_holders_equals_set_holder_one_by_one_in_date_order(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    # Few people and many claims: runs of claims naming the same person, which set_holders skips unless a
    # stored period starts or ends between them.
    one_org, people = _people(store, 2 + seed % 3)
    many_org, _ = _people(store, 0)
    start = date(2024, 1, 1)
    # Some history already stored, then claims in any order, repeats and same-day changes included.
    history = [roles.RoleClaim(0, rng.choice(people), start + timedelta(days=rng.randrange(200))) for _ in range(3)]
    claims = [roles.RoleClaim(0, rng.choice(people), start + timedelta(days=rng.randrange(200))) for _ in range(24)]
    with store.unit_of_work() as conn:
        for claim in history:
            roles.set_legal_rep(conn, one_org, claim.person_pk, claim.valid_from)
            roles.set_legal_rep(conn, many_org, claim.person_pk, claim.valid_from)
        for claim in sorted(claims, key=lambda c: c.valid_from):
            roles.set_legal_rep(conn, one_org, claim.person_pk, claim.valid_from)
        before = len(roles.history(conn, many_org))
        added = roles.set_holders(conn, [replace(claim, org_pk=many_org) for claim in claims])
        assert added == len(roles.history(conn, many_org)) - before
    assert _periods(store, many_org) == _periods(store, one_org)


def test_set_holders_is_idempotent_and_keeps_sources(store: Store, make_record: MakeRecord) -> None:
    org, (first, second) = _people(store, 2)
    with store.unit_of_work() as conn:
        record = records.insert_version(conn, make_record("R1"), recorded_at=T0)
        claims = [
            roles.RoleClaim(org, first, date(2024, 1, 10), record.pk),
            roles.RoleClaim(org, second, date(2024, 6, 1)),
            roles.RoleClaim(org, first, date(2024, 3, 1)),
        ]
        assert roles.set_holders(conn, claims) == 2
        assert roles.set_holders(conn, claims) == 0
        assert roles.set_holders(conn, []) == 0
        timeline = roles.history(conn, org)
    assert [(r.person_pk, r.valid_from, r.valid_to, r.source_record_pk) for r in timeline] == [
        (first, date(2024, 1, 10), date(2024, 5, 31), record.pk),
        (second, date(2024, 6, 1), None, None),
    ]
