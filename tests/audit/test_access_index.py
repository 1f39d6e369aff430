"""The access index: one audit entry for a batch check lists its subjects on file, each finds the entry in
its access log, the oversight counts stay per subject, and verification notices an index row removed,
added or changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from xinyong import auditing
from xinyong.auditing import AuditWriter
from xinyong.clock import FixedClock
from xinyong.errors import InvalidInput
from xinyong.screening import BatchTally, request_event
from xinyong.store import Store, audit_rows, oversight
from xinyong.store.audit_rows import Concerns, Event
from xinyong.store.schema_audit import audit_access

DAY = date(2025, 6, 1)
A, B, C = "subject:110105194912310021", "subject:11010519491231002X", "subject:91350500676532779B"


def _batch(clock: FixedClock, n: int, objects: list[str], effects: list[str], actor: str = "airline") -> Event:
    tally = BatchTally(ids=1000, invalid=1, objects=objects, effects=effects)
    return request_event(
        actor=actor,
        role="platform",
        purpose=None,
        action="air_ticket",
        at=DAY,
        tally=tally,
        now=clock.now() + timedelta(seconds=n),
    )


def _add_row(conn: sa.Connection, object_: str, seq: int, at: datetime) -> None:
    """An index row put in by hand, as the table is on this database: on PostgreSQL it carries an instant,
    the month it is partitioned by (migration 0014)."""
    values: dict[str, object] = {"object": object_, "seq": seq, "action": "check", "result": "deny"}
    if conn.dialect.name == "postgresql":
        values["at"] = at
    columns, binds = ", ".join(values), ", ".join(f":{name}" for name in values)
    conn.execute(sa.text(f"INSERT INTO audit_access ({columns}) VALUES ({binds})"), values)


def _index(store: Store) -> list[tuple[str, int, str, str]]:
    with store.connect() as conn:
        return sorted(audit_rows.iter_index(conn))


def test_a_batch_is_one_entry_and_each_subject_finds_it(store: Store, clock: FixedClock) -> None:
    auditing.record(store, [_batch(clock, 1, [A, B, A], ["deny", "review", "deny"])])
    auditing.record(store, [Event(clock.now(), "regulator", "regulator", "read", A, purpose="case 7")])
    with store.connect() as conn:
        [entry, _] = audit_rows.read_range(conn)
        looks = audit_rows.accesses(conn, {A}, {"read", "check"})
        others = audit_rows.accesses(conn, {C}, {"read", "check"})
    assert (entry.action, entry.object, entry.detail["ids"], entry.detail["on_file"]) == (
        "check.request",
        "action:air_ticket",
        1000,
        3,
    )
    # The subjects are part of what the entry's hash covers, so the log alone says who was looked at.
    assert entry.detail["concerns"] == {"action": "check", "objects": [A, B, A], "results": ["deny", "review", "deny"]}
    assert _index(store) == [(A, 1, "check", "deny"), (B, 1, "check", "review")]  # A twice is one look
    assert [(a.seq, a.action, a.actor, a.result, a.detail.get("action")) for a in looks] == [
        (2, "read", "regulator", "ok", None),
        (1, "check", "airline", "deny", "air_ticket"),
    ]
    assert others == []
    assert auditing.verify(store, None).ok


def test_concerns_must_pair_each_object_with_its_result() -> None:
    with pytest.raises(InvalidInput, match="2 objects but 1 results"):
        Concerns("check", [A, B], ["deny"])


def test_the_writer_indexes_what_it_writes(store: Store, clock: FixedClock) -> None:
    writer = AuditWriter(store, flush_ms=10, batch_size=3)
    try:
        writer.submit_many(_batch(clock, n, [A, B] if n % 2 else [C], ["deny"] * (2 if n % 2 else 1)) for n in range(7))
        writer.flush()
    finally:
        writer.close()
    assert len(_index(store)) == 3 * 2 + 4  # n = 1, 3, 5 list A and B; n = 0, 2, 4, 6 list C
    assert auditing.verify(store, None).ok


def test_oversight_counts_each_subject_of_a_batch_as_a_check(store: Store, clock: FixedClock) -> None:
    auditing.record(store, [_batch(clock, 1, [A, B], ["deny", "deny"]), _batch(clock, 2, [A], ["deny"])])
    with store.connect() as conn:
        counts = oversight.check_counts(conn)
    by_action = {(c.action, c.entries, c.ids, c.on_file) for c in counts}
    # 2000 IDs asked, 3 of them on file: 1997 = ids − on_file of the requests, plus 3 per-subject looks.
    assert by_action == {("check.request", 2, 2000, 3), ("check", 3, 0, 0)}


@pytest.mark.parametrize("damage", ["remove", "add", "change"])
def test_verify_names_the_entry_whose_index_rows_were_tampered_with(
    store: Store, clock: FixedClock, damage: str
) -> None:
    auditing.record(store, [_batch(clock, n, [A, B], ["deny", "deny"]) for n in range(1, 6)])
    before = auditing.verify(store, None)
    assert before.ok
    with store.unit_of_work() as conn:
        if damage == "remove":
            conn.execute(sa.delete(audit_access).where(audit_access.c.seq == 3, audit_access.c.object == B))
        elif damage == "add":
            _add_row(conn, C, 4, clock.now())
        else:
            conn.execute(
                sa.update(audit_access)
                .where(audit_access.c.seq == 2, audit_access.c.object == A)
                .values(result="allow")
            )
    result = auditing.verify(store, None)
    assert not result.ok
    assert result.first_bad_seq == {"remove": 3, "add": 4, "change": 2}[damage]
    assert "access index" in str(result.problem)


def test_verify_notices_index_rows_past_the_end_of_the_log(store: Store, clock: FixedClock) -> None:
    auditing.record(store, [_batch(clock, 1, [A], ["deny"])])
    with store.unit_of_work() as conn:
        _add_row(conn, B, 9, clock.now())
    result = auditing.verify(store, None)
    assert (result.ok, result.first_bad_seq) == (False, None)
    assert "after the last one (1)" in str(result.problem)
