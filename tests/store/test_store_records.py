"""Record versions: corrections supersede without losing the old word, and both time axes can be queried."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

import pytest
from store_samples import T0, MakeRecord, at

from xinyong.errors import Conflict, NotFound
from xinyong.store import LinkUpdate, NewSubject, Store, records, subjects


def test_insert_and_read_back_every_field_in_chinese(store: Store, make_record: MakeRecord) -> None:
    data = make_record(
        subject_name="北京朝阳某某科技有限公司",
        subject_kind="org",
        legal_rep_name="李四",
        address="北京市朝阳区建国路88号",
        summary="拒不履行生效法律文书确定的义务，情节严重。",
        extra={"执行法院": "朝阳法院", "备注": ["第一条", "第二条"], "count": 3},
        amount=Decimal("98765432.10"),
        birth_date=date(1949, 12, 31),
        source_file="法院/2024年.csv",
        source_row=17,
    )
    with store.unit_of_work() as conn:
        stored = records.insert_version(conn, data, recorded_at=T0)
    with store.connect() as conn:
        back = records.get(conn, stored.pk)
    assert back == stored
    assert back is not None
    assert back.subject_name == "北京朝阳某某科技有限公司"
    assert back.summary == "拒不履行生效法律文书确定的义务，情节严重。"
    assert back.extra == {"执行法院": "朝阳法院", "备注": ["第一条", "第二条"], "count": 3}
    assert back.amount == Decimal("98765432.10")
    assert back.recorded_at == T0
    assert back.recorded_at.tzinfo == UTC
    assert back.current
    assert back.key == "court.110105:R1"


def test_supersede_keeps_the_old_version(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        first = records.insert_version(conn, make_record(), recorded_at=at(0))
    with store.unit_of_work() as conn:
        second = records.supersede(conn, make_record(status="fulfilled", row_hash="h2"), at=at(10))
    assert second.version == 2
    assert second.recorded_at == at(10)
    with store.connect() as conn:
        versions = records.history(conn, "court.110105", "R1")
        now = records.current(conn, "court.110105", "R1")
    assert [(v.pk, v.version, v.status) for v in versions] == [
        (first.pk, 1, "in_force"),
        (second.pk, 2, "fulfilled"),
    ]
    assert versions[0].superseded_at == at(10)
    assert versions[1].superseded_at is None
    assert now == second


def test_as_of_answers_what_the_registry_said_at_an_instant(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        records.insert_version(conn, make_record("R1"), recorded_at=at(0))
        records.insert_version(conn, make_record("R2", subject_name="王五"), recorded_at=at(5))
    with store.unit_of_work() as conn:
        records.supersede(conn, make_record("R1", status="revoked", row_hash="h2"), at=at(10))

    def said(days: float) -> list[tuple[str, int, str]]:
        with store.connect() as conn:
            return [(r.record_id, r.version, r.status) for r in records.as_of(conn, at(days))]

    assert said(-1) == []
    assert said(0) == [("R1", 1, "in_force")]
    assert said(7) == [("R1", 1, "in_force"), ("R2", 1, "in_force")]
    assert said(10) == [("R1", 2, "revoked"), ("R2", 1, "in_force")]
    with store.connect() as conn:
        only_r2 = records.as_of(conn, at(7), record_id="R2", agency="court.110105")
    assert [r.subject_name for r in only_r2] == ["王五"]


def test_in_force_on_answers_what_had_legal_effect_on_a_day(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        records.insert_version(
            conn,
            make_record("R1", valid_from=date(2024, 1, 10), valid_to=date(2024, 6, 30)),
            recorded_at=at(0),
        )
        records.insert_version(conn, make_record("R2", valid_from=date(2024, 3, 1)), recorded_at=at(0))
    with store.unit_of_work() as conn:
        # The court later shortens R1's effect to the end of March.
        records.supersede(
            conn,
            make_record("R1", valid_from=date(2024, 1, 10), valid_to=date(2024, 3, 31), row_hash="h2"),
            at=at(60),
        )

    def in_force(day: date, days: float | None = None) -> list[str]:
        with store.connect() as conn:
            found = records.in_force_on(conn, day, system_time=None if days is None else at(days))
        return [f"{r.record_id}v{r.version}" for r in found]

    assert in_force(date(2024, 1, 9)) == []
    assert in_force(date(2024, 2, 1)) == ["R1v2"]
    assert in_force(date(2024, 3, 31)) == ["R1v2", "R2v1"]  # valid_to is inclusive
    assert in_force(date(2024, 4, 1)) == ["R2v1"]
    # Bitemporal: what the registry believed, before the correction, about 1 April.
    assert in_force(date(2024, 4, 1), days=30) == ["R1v1", "R2v1"]


def test_same_version_twice_is_a_conflict(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        records.insert_version(conn, make_record(), recorded_at=at(0))
    with (
        pytest.raises(Conflict, match=r"court\.110105:R1 version 1 cannot be stored"),
        store.unit_of_work() as conn,
    ):
        records.insert_version(conn, make_record(row_hash="other"), recorded_at=at(1))
    with store.connect() as conn:
        assert records.count(conn) == 1


def test_a_second_current_version_is_refused(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        records.insert_version(conn, make_record(), recorded_at=at(0))
    with pytest.raises(Conflict, match="version 2 cannot be stored"), store.unit_of_work() as conn:
        records.insert_version(conn, make_record(version=2), recorded_at=at(1))


def test_supersede_needs_a_current_version(store: Store, make_record: MakeRecord) -> None:
    with (
        pytest.raises(NotFound, match=r"court\.110105:R9 has no current version"),
        store.unit_of_work() as conn,
    ):
        records.supersede(conn, make_record("R9"), at=at(1))


def test_supersede_cannot_go_back_in_system_time(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        records.insert_version(conn, make_record(), recorded_at=at(5))
    with pytest.raises(Conflict, match="before version 1 was recorded"), store.unit_of_work() as conn:
        records.supersede(conn, make_record(row_hash="h2"), at=at(4))
    with store.connect() as conn:
        assert [v.version for v in records.history(conn, "court.110105", "R1")] == [1]


def test_naive_times_are_refused(store: Store, make_record: MakeRecord) -> None:
    with pytest.raises(Exception, match="has no time zone"), store.unit_of_work() as conn:
        records.insert_version(conn, make_record(), recorded_at=T0.replace(tzinfo=None))


def test_pending_links_and_subject_files(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        person = subjects.create(
            conn,
            NewSubject(kind="person", name="张三", name_norm="张三", id_value="11010519491231002X"),
            at=T0,
        )
        r1 = records.insert_version(conn, make_record("R1"), recorded_at=at(0))
        r2 = records.insert_version(conn, make_record("R2"), recorded_at=at(0))
        records.insert_version(conn, make_record("R3"), recorded_at=at(0))
    with store.connect() as conn:
        assert [r.record_id for r in records.pending(conn)] == ["R1", "R2", "R3"]
        assert [r.record_id for r in records.pending(conn, limit=1)] == ["R1"]
    with store.unit_of_work() as conn:
        updated = records.set_links(
            conn,
            [
                LinkUpdate(r1.pk, person.pk, "id"),
                LinkUpdate(r2.pk, person.pk, "model", probability=0.97, run="run-1"),
            ],
        )
    assert updated == 2
    with store.connect() as conn:
        assert [r.record_id for r in records.pending(conn)] == ["R3"]
        linked = records.for_subject(conn, person.pk)
    assert [(r.record_id, r.link, r.link_probability, r.link_run) for r in linked] == [
        ("R1", "id", None, None),
        ("R2", "model", 0.97, "run-1"),
    ]


def test_iter_versions_reads_in_chunks(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        for n in range(7):
            records.insert_version(conn, make_record(f"R{n}"), recorded_at=at(0))
        records.insert_version(conn, make_record("X1", agency="tax.110000"), recorded_at=at(0))
    with store.connect() as conn:
        every = [r.record_id for r in records.iter_versions(conn, chunk=3)]
        court = [r.record_id for r in records.iter_versions(conn, agency="court.110105", chunk=2)]
        assert records.count(conn, agency="tax.110000") == 1
    assert every == [f"R{n}" for n in range(7)] + ["X1"]
    assert court == [f"R{n}" for n in range(7)]
