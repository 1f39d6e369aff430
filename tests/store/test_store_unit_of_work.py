"""Units of work: a change and its audit row commit together or not at all; the audit log stays gapless."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from store_samples import T0, MakeRecord, at

from xinyong.audit.entries import AuditEntry, AuditRow, seal
from xinyong.errors import Conflict
from xinyong.store import Store, audit_rows, records


def _entry(seq: int, object_: str = "record:court.110105:R1", **changes: object) -> AuditEntry:
    values: dict[str, object] = {
        "seq": seq,
        "at": T0 + timedelta(seconds=seq),
        "actor": "agency:court.110105",
        "role": "court",
        "action": "record.create",
        "object": object_,
        "purpose": "依法公示",
        "result": "ok",
        "detail": {"batch": 1, "说明": "新增"},
    }
    values.update(changes)
    return AuditEntry(**values)  # type: ignore[arg-type]


def _sealed_after(last: AuditRow | None, *objects: str) -> list[AuditRow]:
    start = (last.seq if last else 0) + 1
    prev = bytes.fromhex(last.chain_hash) if last else bytes(32)
    return list(seal([_entry(start + i, obj) for i, obj in enumerate(objects)], prev))


def test_change_and_audit_row_commit_together(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        records.insert_version(conn, make_record(), recorded_at=at(0))
        written = audit_rows.append(conn, _sealed_after(audit_rows.tail(conn, lock=True), "record:R1"))
    assert written == 1
    with store.connect() as conn:
        assert records.count(conn) == 1
        (row,) = audit_rows.read_range(conn)
    assert row == _sealed_after(None, "record:R1")[0]
    assert row.detail == {"batch": 1, "说明": "新增"}
    assert row.purpose == "依法公示"


def test_error_rolls_back_change_and_audit_row(store: Store, make_record: MakeRecord) -> None:
    class Refused(Exception):
        pass

    def change_then_fail() -> None:
        with store.unit_of_work() as conn:
            records.insert_version(conn, make_record(), recorded_at=at(0))
            audit_rows.append(conn, _sealed_after(audit_rows.tail(conn, lock=True), "record:R1"))
            assert records.count(conn) == 1  # visible inside the transaction
            raise Refused

    with pytest.raises(Refused):
        change_then_fail()
    with store.connect() as conn:
        assert records.count(conn) == 0
        assert audit_rows.size(conn) == 0
        assert audit_rows.tail(conn) is None


def test_a_failed_statement_rolls_back_the_whole_unit(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        records.insert_version(conn, make_record(), recorded_at=at(0))

    def audit_then_clash() -> None:
        with store.unit_of_work() as conn:
            audit_rows.append(conn, _sealed_after(None, "record:R2"))
            records.insert_version(conn, make_record("R2"), recorded_at=at(1))
            records.insert_version(conn, make_record(), recorded_at=at(1))  # version 1 again

    with pytest.raises(Conflict, match="version 1 cannot be stored"):
        audit_then_clash()
    with store.connect() as conn:
        assert [r.record_id for r in records.iter_versions(conn)] == ["R1"]
        assert audit_rows.size(conn) == 0


def test_audit_rows_must_continue_the_log(store: Store) -> None:
    with store.unit_of_work() as conn:
        audit_rows.append(conn, _sealed_after(None, "a", "b"))
    with pytest.raises(Conflict, match="seq 2 where 3 comes next"), store.unit_of_work() as conn:
        audit_rows.append(conn, _sealed_after(None, "x", "y")[1:])
    with store.connect() as conn:
        assert audit_rows.size(conn) == 2


def test_audit_reads_by_range_and_object(store: Store) -> None:
    objects = [f"subject:S{n % 3}" for n in range(12)]
    with store.unit_of_work() as conn:
        audit_rows.append(conn, _sealed_after(None, *objects))
    with store.connect() as conn:
        assert [r.seq for r in audit_rows.read_range(conn, 4, 6)] == [4, 5, 6]
        assert [r.seq for r in audit_rows.iter_rows(conn, 2, chunk=5)] == list(range(2, 13))
        assert [r.seq for r in audit_rows.for_object(conn, "subject:S1", limit=3)] == [11, 8, 5]
        tail = audit_rows.tail(conn)
    assert tail is not None
    assert tail.seq == 12
    assert tail.chain_hash == _sealed_after(None, *objects)[-1].chain_hash


def test_concurrent_appenders_keep_the_log_gapless(store: Store) -> None:
    errors: list[BaseException] = []

    def append_some(name: str) -> None:
        try:
            for n in range(15):
                with store.unit_of_work() as conn:
                    audit_rows.append(conn, _sealed_after(audit_rows.tail(conn, lock=True), f"{name}:{n}"))
        except BaseException as exc:  # handed to the main thread, which fails the test with it
            errors.append(exc)

    threads = [threading.Thread(target=append_some, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.connect() as conn:
        rows = audit_rows.read_range(conn)
    assert [r.seq for r in rows] == list(range(1, 46))
    chain = bytes(32)
    for row in rows:  # every row was sealed on top of the row before it
        (resealed,) = seal([row.entry()], chain)
        assert resealed.chain_hash == row.chain_hash
        chain = bytes.fromhex(row.chain_hash)


class _Interrupting:
    """A value whose conversion for SQLite raises Ctrl-C's exception: an interrupt in the middle of a statement."""

    def __conform__(self, protocol: object) -> object:
        raise KeyboardInterrupt


def test_an_interrupt_mid_statement_lets_go_of_the_write_lock(tmp_path: Path) -> None:
    # Before, the interrupted statement lived on in the interrupt's traceback and SQLite kept the write lock
    # with it: the next unit of work (an ingest marking its batch failed) waited out the busy timeout.
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.init()
    try:
        with store.unit_of_work() as conn:
            conn.exec_driver_sql("CREATE TABLE interrupted (k TEXT, v TEXT)")
        rows: list[tuple[str, object]] = [(f"k{n}", "v") for n in range(1_000)]
        rows[500] = ("k500", _Interrupting())
        with pytest.raises(KeyboardInterrupt) as caught, store.unit_of_work() as conn:
            conn.exec_driver_sql("INSERT INTO interrupted VALUES (?, ?)", rows)
        probe = sqlite3.connect(tmp_path / "x.db", timeout=0.5)
        try:
            probe.execute("BEGIN IMMEDIATE")  # raises "database is locked" after 0.5 s while the lock is held
            assert probe.execute("SELECT count(*) FROM interrupted").fetchone() == (0,)
            probe.execute("ROLLBACK")
        finally:
            probe.close()
        assert caught.traceback[-1].lineno > 0  # the traceback still says where it happened
    finally:
        store.dispose()
