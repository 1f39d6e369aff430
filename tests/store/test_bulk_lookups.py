"""The bare-driver paths ingestion loads through: look-ups by many keys, versions written as tuples, and
subjects created many at a time, each the same as its Core counterpart on both databases."""

from __future__ import annotations

from dataclasses import replace

import pytest
from store_samples import T0, MakeRecord, at

from xinyong.errors import Conflict
from xinyong.store import NewSubject, Store, bulk_records, records, subjects
from xinyong.store.records import DATA_COLUMNS, data_params


def test_rows_for_keys_finds_exactly_the_keys_asked(store: Store, make_record: MakeRecord) -> None:
    stored = [make_record(f"R{n:04d}", row_hash=f"h{n}") for n in range(bulk_records.CHUNK * 2 + 3)]
    other = [make_record(f"R{n:04d}", agency="tax.110000", row_hash=f"t{n}") for n in range(5)]
    with store.unit_of_work() as conn:
        pks = bulk_records.bulk_insert(conn, stored + other, recorded_at=at(0))
    wanted = {f"R{n:04d}" for n in range(1, len(stored) + 10, 2)}  # every other one, and some never stored
    with store.connect() as conn:
        found = bulk_records.rows_for_keys(
            conn, "records", ("record_id", "row_hash"), "record_id", wanted, agency="court.110105"
        )
        by_pk = bulk_records.rows_for_keys(conn, "records", ("pk", "record_id"), "pk", pks[:3])
        assert bulk_records.rows_for_keys(conn, "records", ("pk",), "record_id", []) == []
    expected = {(r.record_id, r.row_hash) for r in stored if r.record_id in wanted}
    assert sorted(found) == sorted(expected)
    assert len(found) == len(stored) // 2
    assert sorted(by_pk) == [(pk, r.record_id) for pk, r in zip(pks[:3], stored[:3], strict=True)]


def test_versions_as_tuples_are_stored_as_records_are(store: Store, make_record: MakeRecord) -> None:
    made = [
        make_record("A", extra={"备注": "x"}, valid_to=None, link="id"),
        make_record("B", amount=None, subject_pk=None, extra={}),
    ]
    with store.unit_of_work() as conn:
        through_data = bulk_records.bulk_insert(conn, made, recorded_at=at(0))
        as_tuples = [
            tuple(data_params(replace(data, record_id=data.record_id + "2"))[name] for name in DATA_COLUMNS)
            for data in made
        ]
        through_tuples = bulk_records.insert_rows(conn, as_tuples, recorded_at=at(0))
        assert bulk_records.insert_rows(conn, [], recorded_at=at(0)) == []
    with store.connect() as conn:
        first = [records.get(conn, pk) for pk in through_data]
        second = [records.get(conn, pk) for pk in through_tuples]
    for one, two in zip(first, second, strict=True):
        assert one is not None
        assert two is not None
        assert replace(two, pk=one.pk, record_id=one.record_id) == one
    assert first[0] is not None
    assert first[0].extra == {"备注": "x"}


def test_insert_many_keeps_order_and_refuses_a_known_identifier(store: Store) -> None:
    new = [
        NewSubject(kind="org", name="某公司", name_norm="某公司", id_kind="uscc", id_value="91110105MA01XXXXXX"),
        NewSubject(kind="person", name="张三", name_norm="张三", allowlisted=True),
        NewSubject(kind="person", name="李四", name_norm="李四", id_kind="resident_id", id_value="11010519491231002X"),
    ]
    with store.unit_of_work() as conn:
        pks = subjects.insert_many(conn, new, at=T0)
    assert pks == sorted(pks)
    with store.connect() as conn:
        stored = [subjects.get(conn, pk) for pk in pks]
        assert subjects.pks_by_id_values(conn, ["91110105MA01XXXXXX", "11010519491231002X", "nope"]) == {
            "91110105MA01XXXXXX": (pks[0], "org"),
            "11010519491231002X": (pks[2], "person"),
        }
    assert [(s.key, s.name, s.allowlisted, s.created_at) for s in stored if s is not None] == [
        (subjects.subject_key(pk), made.name, made.allowlisted, T0) for pk, made in zip(pks, new, strict=True)
    ]
    with pytest.raises(Conflict, match="subject cannot be created"), store.unit_of_work() as conn:
        subjects.insert_many(
            conn, [NewSubject(kind="org", name="又一家", name_norm="又一家", id_value=new[0].id_value)], at=T0
        )
