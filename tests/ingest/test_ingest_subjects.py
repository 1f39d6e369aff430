"""Identity at ingest: a valid code links the record to its subject at once, creating the subject if new;
a blank or invalid code leaves the record pending for linkage; a legal representative becomes a role."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest_samples import ORG_IDS, PERSON_IDS, Ingest, org_row, person_row, write_csv

from xinyong.store import Store, records, roles, subjects


def test_valid_codes_link_and_create_subjects_once(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    rows = [
        org_row(1, subject_name="北京测试1科技有限责任公司"),
        org_row(51),  # the same organisation (51 % 50) under another record
        person_row(2, subject_id=PERSON_IDS[2].lower()),  # a lower-case check character is normalised
    ]
    summary = ingest(write_csv(tmp_path / "mee.csv", rows))
    assert summary.accepted == 3
    with store.connect() as conn:
        org = subjects.get_by_id_value(conn, ORG_IDS[1])
        person = subjects.get_by_id_value(conn, PERSON_IDS[2])
        rep = subjects.get_by_id_value(conn, PERSON_IDS[1])
        versions = {v.record_id: v for v in records.iter_versions(conn)}
    assert org is not None
    assert person is not None
    assert rep is not None
    assert (org.kind, org.id_kind, org.name, org.name_norm) == (
        "org",
        "uscc",
        "北京测试1科技有限责任公司",
        "北京测试1科技有限公司",
    )
    assert org.created_by_batch == summary.batch
    assert (person.kind, person.id_kind, person.name) == ("person", "resident_id", "李2")
    assert (rep.kind, rep.name) == ("person", "张1")
    assert versions["R000001"].subject_pk == versions["R000051"].subject_pk == org.pk
    assert (versions["R000001"].link, versions["R000001"].subject_id) == ("id", ORG_IDS[1])
    assert (versions["P000002"].subject_pk, versions["P000002"].subject_id_raw) == (
        person.pk,
        PERSON_IDS[2].lower(),
    )


def test_blank_or_invalid_codes_wait_for_linkage(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    typo = ORG_IDS[3][:-1] + ("0" if ORG_IDS[3][-1] != "0" else "1")
    rows = [
        org_row(1, subject_id=None),
        org_row(3, subject_id=typo),
        person_row(4, subject_id=ORG_IDS[4]),  # an organisation's code for a person
    ]
    ingest(write_csv(tmp_path / "mee.csv", rows))
    with store.connect() as conn:
        versions = list(records.iter_versions(conn))
        assert subjects.by_id_values(conn, [ORG_IDS[1], ORG_IDS[3], ORG_IDS[4], PERSON_IDS[1]]) == {}
    assert [(v.link, v.subject_pk, v.subject_id, v.subject_id_raw) for v in versions] == [
        ("pending", None, None, None),
        ("pending", None, None, typo),
        ("pending", None, None, ORG_IDS[4]),
    ]


def test_allow_list_admits_a_pilot_code(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    from xinyong.ids import AllowList

    pilot = ORG_IDS[5][:-1] + ("0" if ORG_IDS[5][-1] != "0" else "1")
    ingest(write_csv(tmp_path / "mee.csv", [org_row(5, subject_id=pilot)]), allow_list=AllowList.from_lines([pilot]))
    with store.connect() as conn:
        subject = subjects.get_by_id_value(conn, pilot)
        version = records.current(conn, "mee.110000", "R000005")
    assert subject is not None
    assert subject.allowlisted
    assert version is not None
    assert (version.link, version.subject_pk) == ("id", subject.pk)


def test_legal_representatives_become_roles_over_time(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    rows = [
        org_row(1, decided_on="2024-01-10"),
        org_row(51, decided_on="2024-05-01", legal_rep_id=PERSON_IDS[7], legal_rep_name="王七"),
        org_row(101, decided_on="2024-03-01"),  # the first representative again, still in office then
        org_row(2, decided_on="2024-02-01", legal_rep_id="110105000000000000"),  # invalid: no role
    ]
    ingest(write_csv(tmp_path / "mee.csv", rows))
    with store.connect() as conn:
        org = subjects.get_by_id_value(conn, ORG_IDS[1])
        first = subjects.get_by_id_value(conn, PERSON_IDS[1])
        second = subjects.get_by_id_value(conn, PERSON_IDS[7])
        other = subjects.get_by_id_value(conn, ORG_IDS[2])
        assert org is not None
        assert first is not None
        assert second is not None
        assert other is not None
        timeline = roles.history(conn, org.pk)
        source = records.current(conn, "mee.110000", "R000001")
        assert roles.history(conn, other.pk) == []
    assert source is not None
    assert [(r.person_pk, r.valid_from, r.valid_to) for r in timeline] == [
        (first.pk, date(2024, 1, 10), date(2024, 4, 30)),
        (second.pk, date(2024, 5, 1), None),
    ]
    assert timeline[0].source_record_pk == source.pk
    # Ingesting again names nobody new.
    ingest(write_csv(tmp_path / "mee.csv", rows))
    with store.connect() as conn:
        assert len(roles.history(conn, org.pk)) == 2
