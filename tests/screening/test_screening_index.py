"""Screening end to end on the store: publishing targets, the index, the legal representative path,
corrections, confirmed links, replicas, the change feed, and as-of answers."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from xinyong.catalog import default_catalog
from xinyong.cli.app import app
from xinyong.clock import CST, FixedClock
from xinyong.errors import InvalidInput
from xinyong.ids import resident_id
from xinyong.rules.decisions import decide
from xinyong.screening import BatchError, ScreeningIndex, changes_for, publish, publisher, subject_file
from xinyong.screening.feed import hashed_id
from xinyong.screening.index import SCAN_SLICE
from xinyong.screening.publisher import republish
from xinyong.store import NewSubject, RecordData, Store, audit_rows, records, roles, subjects
from xinyong.store import screening as screening_store
from xinyong.store.records import LinkUpdate

CAT = default_catalog()
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=CST)
CLOCK = FixedClock(T0)
PERSON_ID = "11010519491231002X"
REP_ID = "11010119900307299X"
ORG_ID = "91350500676532779B"
DAY = date(2024, 6, 1)


def _subject(store: Store, kind: str, id_value: str | None, name: str) -> int:
    with store.unit_of_work() as conn:
        row = subjects.create(
            conn,
            NewSubject(
                kind=kind,
                name=name,
                name_norm=name,
                id_kind=None if id_value is None else ("uscc" if kind == "org" else "resident_id"),
                id_value=id_value,
            ),
            at=T0,
        )
    return row.pk


def _record(record_id: str, subject_pk: int, **kw: Any) -> RecordData:
    values: dict[str, Any] = {
        "agency": "court.110105",
        "record_id": record_id,
        "record_type": "court.defaulter",
        "subject_kind": "person",
        "subject_name": "张三",
        "subject_pk": subject_pk,
        "link": "id",
        "decided_on": date(2024, 1, 10),
        "valid_to": date(2025, 6, 30),
        "decision_no": "(2024)京0105执1234号",
        "row_hash": f"h-{record_id}",
    }
    values.update(kw)
    return RecordData(**values)


def _insert(store: Store, data: RecordData, when: datetime = T0) -> None:
    with store.unit_of_work() as conn:
        records.insert_version(conn, data, recorded_at=when)


@pytest.fixture
def province(store: Store) -> dict[str, int]:
    person = _subject(store, "person", PERSON_ID, "张三")
    rep = _subject(store, "person", REP_ID, "李四")
    org = _subject(store, "org", ORG_ID, "某某科技有限公司")
    loose = _subject(store, "person", None, "王五")
    _insert(store, _record("R1", person))
    _insert(
        store,
        _record(
            "R2",
            org,
            record_type="court.consumption_restriction",
            subject_kind="org",
            subject_name="某某科技有限公司",
            valid_to=None,
            decision_no="(2024)京0105执99号",
        ),
    )
    with store.unit_of_work() as conn:
        roles.set_legal_rep(conn, org, rep, date(2020, 1, 1))
    _insert(store, _record("R3", loose, link="model", subject_name="王五"))
    return {"person": person, "rep": rep, "org": org, "loose": loose}


def test_published_index_denies_with_reasons_and_reaches_the_legal_rep(store: Store, province: dict[str, int]) -> None:
    assert publish(store, CAT, CLOCK) > 0
    index = ScreeningIndex.build(store, CAT)
    d = index.check(PERSON_ID, "air_ticket", DAY)
    assert (d.effect, d.reasons[0].list, d.reasons[0].record) == ("deny", "defaulter", "court.110105:R1")
    rep = index.check(REP_ID, "air_ticket", DAY).as_dict()
    assert rep["allowed"] is False
    assert rep["reasons"][0]["via"] == {"role": "legal_representative", "of": ORG_ID}
    assert rep["reasons"][0]["decision_no"] == "(2024)京0105执99号"
    org = index.check(ORG_ID, "air_ticket", DAY)
    assert org.effect == "deny"
    assert index.check(PERSON_ID, "air_ticket", date(2025, 7, 1)).effect == "allow"  # expired by itself


def test_the_index_answers_what_the_store_derives(store: Store, province: dict[str, int]) -> None:
    publish(store, CAT, CLOCK)
    index = ScreeningIndex.build(store, CAT)
    with store.connect() as conn:
        for pk, code in ((province["person"], PERSON_ID), (province["rep"], REP_ID), (province["org"], ORG_ID)):
            row = subjects.get(conn, pk)
            assert row is not None
            slow = subject_file(conn, CAT, row)
            for action in ("air_ticket", "bank_loan", "honor_award", "gov_procurement_bid"):
                for day in (date(2023, 1, 1), DAY, date(2026, 1, 1)):
                    fast = index.check(code, action, day)
                    assert fast.effect == decide(slow, action, day, CAT).effect, (code, action, day)


def test_a_model_link_reaches_nobody_until_a_person_confirms_it(store: Store, province: dict[str, int]) -> None:
    publish(store, CAT, CLOCK)
    index = ScreeningIndex.build(store, CAT)
    assert len(index) == 3  # the person, the organisation and its representative; not the model-linked one
    with store.unit_of_work() as conn:
        (r3,) = records.for_subject(conn, province["loose"])
        records.set_links(conn, [LinkUpdate(pk=r3.pk, subject_pk=province["person"], link="confirmed")])
    publish(store, CAT, CLOCK)
    index.refresh(store)
    reasons = index.check(PERSON_ID, "air_ticket", DAY).reasons
    assert {r.record for r in reasons} == {"court.110105:R1", "court.110105:R3"}


def test_a_fulfilment_reaches_every_replica_and_the_feed(store: Store, province: dict[str, int]) -> None:
    publish(store, CAT, CLOCK)
    one, two = ScreeningIndex.build(store, CAT), ScreeningIndex.build(store, CAT)
    later = T0 + timedelta(days=30)
    with store.unit_of_work() as conn:
        current = records.current(conn, "court.110105", "R1")
        assert current is not None
        fulfilled = replace(
            _record("R1", province["person"]), version=2, status="fulfilled", valid_to=date(2024, 3, 30)
        )
        records.supersede(conn, fulfilled, at=later)
    publish(store, CAT, FixedClock(later))
    for replica in (one, two):
        replica.refresh(store)
        assert replica.check(PERSON_ID, "air_ticket", date(2024, 3, 30)).effect == "deny"
        assert replica.check(PERSON_ID, "air_ticket", date(2024, 3, 31)).effect == "allow"
    key = b"k" * 32
    with store.connect() as conn:
        items, cursor = changes_for(conn, CAT, 0, {"air_ticket"}, key=key)
        again, _ = changes_for(conn, CAT, cursor, {"air_ticket"}, key=key)
    assert again == []
    mine = [i for i in items if i.record == "court.110105:R1"]
    assert [(i.event, i.valid_to) for i in mine] == [("listed", "2025-06-30"), ("changed", "2024-03-30")]
    assert all(i.actions == ("air_ticket",) for i in items)
    assert mine[0].subject == hashed_id(key, PERSON_ID)
    assert PERSON_ID not in str([i.as_dict() for i in items])
    rep_items = [i for i in items if i.via is not None]
    assert rep_items
    assert rep_items[0].via == {"role": "legal_representative", "of": ORG_ID}


def test_a_correction_naming_someone_else_lifts_the_measure_from_the_first(
    store: Store, province: dict[str, int]
) -> None:
    """The court corrects who its defaulter record is about: the person first named must be free again, the
    one now named restricted, and the feed must say both. (The publisher used to republish only the subject
    the new version names, so the first person stayed restricted.)"""
    publish(store, CAT, CLOCK)
    index = ScreeningIndex.build(store, CAT)
    assert index.check(PERSON_ID, "air_ticket", DAY).effect == "deny"
    assert index.check(REP_ID, "air_ticket", DAY).effect == "deny"  # through the organisation (R2)
    later = T0 + timedelta(days=10)
    with store.unit_of_work() as conn:
        corrected = replace(_record("R1", province["loose"]), version=2, subject_name="王五")
        records.supersede(conn, corrected, at=later)
    assert publish(store, CAT, FixedClock(later)) > 0
    index.refresh(store)
    assert index.check(PERSON_ID, "air_ticket", DAY).effect == "allow"
    with store.connect() as conn:
        targets = screening_store.targets_from(conn, [province["person"], province["loose"]])
    assert {(k, t.target_pk) for k, t in targets.items()} == {
        (("court.110105:R1", province["loose"]), province["loose"])
    }


def test_a_correction_sent_to_linkage_lifts_the_measure_through_ingestion(store: Store, tmp_path: Path) -> None:
    """The same through a feed: the corrected row carries a mistyped identifier, so its version waits for
    linkage (no subject yet), and the person the first version named is no longer restricted."""
    from xinyong.catalog.fields import CANONICAL_FIELDS
    from xinyong.ingest import ingest_paths

    def send(name: str, subject_id: str, when: datetime) -> None:
        path = tmp_path / f"court.110105-{name}.csv"
        row = {
            "record_id": "R9",
            "record_type": "court.defaulter",
            "subject_kind": "person",
            "subject_name": "张三",
            "subject_id": subject_id,
            "decided_on": "2024-01-10",
            "valid_to": "2025-06-30",
            "decision_no": "(2024)京0105执1234号",
            "status": "in_force",
        }
        path.write_text(
            ",".join(CANONICAL_FIELDS) + "\n" + ",".join(row.get(f, "") for f in CANONICAL_FIELDS) + "\n",
            encoding="utf-8",
        )
        ingest_paths(store, CAT, FixedClock(when), [path], "court.110105", home=tmp_path / "home")
        publish(store, CAT, FixedClock(when))

    send("first", PERSON_ID, T0)
    index = ScreeningIndex.build(store, CAT)
    assert index.check(PERSON_ID, "air_ticket", DAY).effect == "deny"
    send("corrected", PERSON_ID[:-2] + "99", T0 + timedelta(days=3))  # fails its check character: pending
    with store.connect() as conn:
        assert [(v.version, v.link) for v in records.history(conn, "court.110105", "R9")] == [(1, "id"), (2, "pending")]
    index.refresh(store)
    assert index.check(PERSON_ID, "air_ticket", DAY).effect == "allow"


def test_known_at_answers_what_the_registry_said_then(store: Store, province: dict[str, int]) -> None:
    later = T0 + timedelta(days=30)
    with store.unit_of_work() as conn:
        records.supersede(
            conn,
            replace(_record("R1", province["person"]), version=2, status="revoked", valid_to=date(2024, 3, 30)),
            at=later,
        )
        person = subjects.get(conn, province["person"])
        assert person is not None
        then = subject_file(conn, CAT, person, known_at=T0 + timedelta(days=1))
        now = subject_file(conn, CAT, person)
    assert decide(then, "air_ticket", DAY, CAT).effect == "deny"
    assert decide(now, "air_ticket", DAY, CAT).effect == "allow"


def test_batch_checks_keep_order_report_bad_ids_and_allow_unknown_ones(store: Store, province: dict[str, int]) -> None:
    publish(store, CAT, CLOCK)
    index = ScreeningIndex.build(store, CAT)
    unknown = resident_id.generate(random.Random(1), "110105", date(1980, 1, 1), female=False)
    wrong = PERSON_ID[:-1] + "1"
    out = index.check_batch([unknown, PERSON_ID, wrong, "１１０１０５１９４９１２３１００２Ｘ"], "air_ticket", DAY)
    assert [getattr(r, "effect", None) for r in out] == ["allow", "deny", None, "deny"]
    assert out[0] == decide(None, "air_ticket", DAY, CAT)
    assert isinstance(out[2], BatchError)
    assert "check character" in out[2].error
    with pytest.raises(InvalidInput, match="id"):
        index.check(wrong, "air_ticket", DAY)
    with pytest.raises(InvalidInput, match="action"):
        index.check_batch([PERSON_ID], "teleport", DAY)


def test_publishing_twice_writes_nothing_new(store: Store, province: dict[str, int]) -> None:
    assert publish(store, CAT, CLOCK) > 0
    assert publish(store, CAT, FixedClock(datetime(2024, 4, 1, tzinfo=UTC))) == 0


def test_small_rounds_publish_what_one_round_publishes(store: Store, province: dict[str, int]) -> None:
    # A later version of R1 (fulfilled) and another record of the same person in a later stretch of the store:
    # the person is worked out once per round, and rounds of one record each end where one round ends.
    later = T0 + timedelta(days=1)
    with store.unit_of_work() as conn:
        fulfilled = replace(_record("R1", province["person"]), version=2, status="fulfilled", valid_to=date(2024, 3, 2))
        records.supersede(conn, fulfilled, at=later)
    _insert(store, _record("R4", province["person"], decision_no="(2024)京0105执7号"), later)
    in_pieces = publish(store, CAT, CLOCK, chunk=1, round_size=1)
    with store.connect() as conn:
        pieces = sorted(screening_store.iter_targets(conn), key=lambda t: t.key)
    assert in_pieces > 0
    assert publish(store, CAT, CLOCK) == 0  # the cursors moved past everything
    with store.unit_of_work() as conn:  # what one round derives from the whole store: the same targets
        assert republish(conn, CAT, sorted(province.values()), T0) == 0
    windows = {(t.record_key, t.target_pk): t.valid_to for t in pieces}
    assert windows[("court.110105:R1", province["person"])] == date(2024, 3, 2)  # ended by the fulfilment
    assert ("court.110105:R4", province["person"]) in windows
    assert ("court.110105:R2", province["rep"]) in windows  # through the legal representative


def test_a_subject_is_worked_out_once_per_round_however_spread_its_records_are(
    store: Store, province: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The person has records at the start and at the end of the store; rounds read one subject at a time.
    later = T0 + timedelta(days=1)
    _insert(store, _record("R4", province["person"], decision_no="(2024)京0105执7号"), later)
    seen: list[int] = []
    original = publisher.republish

    def counting(conn: Any, catalog: Any, source_pks: Sequence[int], now: datetime) -> int:
        seen.extend(source_pks)
        return original(conn, catalog, source_pks, now)

    monkeypatch.setattr(publisher, "republish", counting)
    assert publish(store, CAT, CLOCK, chunk=1, round_size=1) > 0
    assert sorted(seen) == sorted(set(seen))  # each subject once
    assert province["person"] in seen
    assert seen == sorted(seen)  # in subject order
    seen.clear()
    assert publish(store, CAT, CLOCK, round_size=1) == 0
    assert seen == []


def test_check_command_single_batch_and_audit(
    store: Store, province: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XINYONG_NOW", "2024-06-01")
    runner = CliRunner()
    one = runner.invoke(app, ["check", PERSON_ID, "--action", "air_ticket", "--json"])
    assert one.exit_code == 0, one.output
    body = json.loads(one.stdout)
    assert (body["allowed"], body["at"], body["reasons"][0]["list"]) == (False, "2024-06-01", "defaulter")
    then = runner.invoke(app, ["check", PERSON_ID, "--action", "air_ticket", "--at", "2025-07-01", "--json"])
    assert json.loads(then.stdout)["effect"] == "allow"
    bad = runner.invoke(app, ["check", PERSON_ID[:-1] + "1", "--action", "air_ticket"])
    assert bad.exit_code == 1
    assert "check character" in bad.stderr
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{PERSON_ID}\n{REP_ID}\nnot-an-id\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    many = runner.invoke(app, ["check", "--batch", str(ids), "--action", "air_ticket", "--out", str(out)])
    assert many.exit_code == 0, many.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line.get("allowed") for line in lines] == [False, False, None]
    assert lines[2]["field"] == "id"
    with store.connect() as conn:
        requests = [r for r in audit_rows.iter_rows(conn) if r.action == "check.request"]
        looks = audit_rows.accesses(conn, {f"subject:{PERSON_ID}", f"subject:{REP_ID}"}, {"check"})
    # The batch is one entry; each subject it found on file sees the check in its access log all the same.
    assert [(r.detail["ids"], r.detail["on_file"], r.detail["invalid"]) for r in requests] == [(3, 2, 1)]
    assert sorted((a.object, a.result, a.seq) for a in looks if a.seq == requests[0].seq) == [
        (f"subject:{REP_ID}", "deny", requests[0].seq),
        (f"subject:{PERSON_ID}", "deny", requests[0].seq),
    ]
    assert {a.object for a in looks if a.seq != requests[0].seq} == {f"subject:{PERSON_ID}"}  # the single check


def test_batch_json_is_the_same_decisions_as_the_objects(store: Store, province: dict[str, int]) -> None:
    publish(store, CAT, CLOCK)
    index = ScreeningIndex.build(store, CAT)
    unknown = resident_id.generate(random.Random(5), "110105", date(1990, 1, 1), True)
    odd = ['bad "quoted" \\ id', "line\nbreak", "张三\U0001f600", "", "\ud800"]
    ids = [PERSON_ID, "bad", REP_ID, ORG_ID, unknown, "１１０１０５１９４９１２３１００２Ｘ", PERSON_ID, *odd]
    for _ in range(2):  # the second round is served from the per-day cache
        payload, tally = index.check_batch_json(ids, "air_ticket", DAY)
        lines = json.loads(payload)["decisions"]
        expected = [
            {"id": raw, **r.as_dict()} if not isinstance(r, BatchError) else r.as_dict()
            for raw, r in zip(ids, index.check_batch(ids, "air_ticket", DAY), strict=True)
        ]
        assert lines == json.loads(json.dumps(expected))
        assert (tally.ids, tally.invalid) == (len(ids), 1 + len(odd))
        assert sorted(zip(tally.objects, tally.effects, strict=True)) == sorted(
            [(f"subject:{PERSON_ID}", "deny")] * 3 + [(f"subject:{REP_ID}", "deny"), (f"subject:{ORG_ID}", "deny")]
        )
    assert [line.get("effect") for line in lines[:7]] == ["deny", None, "deny", "deny", "allow", "deny", "deny"]
    assert [line["id"] for line in lines] == ids
    assert index.check_batch_json([], "air_ticket", DAY)[0] == b'{"decisions":[]}'


def test_cached_answers_follow_a_refresh(store: Store, province: dict[str, int]) -> None:
    publish(store, CAT, CLOCK)
    index = ScreeningIndex.build(store, CAT)
    assert json.loads(index.check_json(PERSON_ID, "air_ticket", DAY)[0])["effect"] == "deny"
    assert json.loads(index.check_batch_json([PERSON_ID], "air_ticket", DAY)[0])["decisions"][0]["effect"] == "deny"
    later = T0 + timedelta(days=1)
    with store.unit_of_work() as conn:
        fulfilled = replace(_record("R1", province["person"]), version=2, status="fulfilled", valid_to=date(2024, 3, 2))
        records.supersede(conn, fulfilled, at=later)
    publish(store, CAT, FixedClock(later))
    assert index.refresh(store) > 0
    assert index.check(PERSON_ID, "air_ticket", DAY).effect == "allow"
    assert json.loads(index.check_json(PERSON_ID, "air_ticket", DAY)[0])["effect"] == "allow"
    assert json.loads(index.check_batch_json([PERSON_ID], "air_ticket", DAY)[0])["decisions"][0]["effect"] == "allow"
    assert (
        getattr(index.check_batch([PERSON_ID, REP_ID], "air_ticket", DAY)[1], "effect", None) == "deny"
    )  # others keep theirs


def test_a_batch_longer_than_a_slice_answers_each_id_as_alone(store: Store, province: dict[str, int]) -> None:
    publish(store, CAT, CLOCK)
    index = ScreeningIndex.build(store, CAT)
    rng = random.Random(11)
    ids = [resident_id.generate(rng, "110105", date(1970, 1, 1 + i % 28), i % 2 == 0) for i in range(2 * SCAN_SLICE)]
    # Hits, a wrong check character and a full-width ID on either side of a slice boundary and at the ends.
    for at in (0, SCAN_SLICE - 1, SCAN_SLICE, len(ids) - 1):
        ids[at] = PERSON_ID
    ids[SCAN_SLICE + 1] = PERSON_ID[:-1] + "1"
    ids[SCAN_SLICE - 2] = "１１０１０５１９４９１２３１００２Ｘ"
    ids.append("line\nbreak")
    one_by_one = [index.check_batch([raw], "air_ticket", DAY)[0] for raw in ids]
    assert index.check_batch(ids, "air_ticket", DAY) == one_by_one
    payload, tally = index.check_batch_json(ids, "air_ticket", DAY)
    assert [line.get("effect") for line in json.loads(payload)["decisions"]] == [
        getattr(r, "effect", None) for r in one_by_one
    ]
    assert (tally.invalid, len(tally.objects)) == (2, 5)


def test_an_answer_made_from_a_file_a_refresh_replaced_meanwhile_is_not_kept(
    store: Store, province: dict[str, int]
) -> None:
    publish(store, CAT, CLOCK)
    index = ScreeningIndex.build(store, CAT)
    old = index.file(PERSON_ID)
    assert old is not None
    day = index._day("air_ticket", DAY)
    # A check that read the file just before a refresh replaced it finishes after the refresh forgot answers.
    index._files[PERSON_ID] = replace(old, listings=())
    assert index._decide(day, PERSON_ID, old).effect == "deny"  # answered from what it read ...
    assert PERSON_ID not in day.decisions  # ... but not kept for the next check
    assert index.check(PERSON_ID, "air_ticket", DAY).effect == "allow"
    index.check_batch([PERSON_ID], "air_ticket", DAY)
    index._forget([PERSON_ID])
    assert PERSON_ID not in day.decisions
