"""The audit log as a service: the batched writer (bulk, one transaction a flush, never blocking a
submitter), signed checkpoints with consistency proofs, and verification that names the first entry
that was edited, removed or moved, both through the API and through `xinyong audit verify`."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from xinyong import auditing
from xinyong.audit import seal, verify_checkpoint, verify_extends, verify_log
from xinyong.auditing import AuditWriter
from xinyong.cli.app import app
from xinyong.clock import FixedClock
from xinyong.errors import ConfigError, InvalidInput, NotFound, StoreError
from xinyong.store import Store, audit_rows
from xinyong.store.audit_rows import Event
from xinyong.store.schema import audit_log


def _event(clock: FixedClock, n: int, **changes: Any) -> Event:
    values: dict[str, Any] = {
        "at": clock.now() + timedelta(seconds=n),
        "actor": "airline",
        "role": "platform",
        "action": "check",
        "object": f"subject:S{n:08d}",
        "detail": {"effect": "allow", "n": n},
    }
    values.update(changes)
    return Event(**values)


def _log(store: Store, clock: FixedClock, n: int, first: int = 1) -> None:
    auditing.record(store, [_event(clock, i) for i in range(first, first + n)])


def _rows(store: Store) -> list[audit_rows.AuditRow]:
    with store.connect() as conn:
        return audit_rows.read_range(conn)


@pytest.fixture
def writer(store: Store) -> Iterator[AuditWriter]:
    made = AuditWriter(store, flush_ms=20, batch_size=50)
    yield made
    made.close()


def test_writer_writes_submitted_events_in_bulk(store: Store, clock: FixedClock, writer: AuditWriter) -> None:
    commits: list[int] = []
    sa.event.listen(store.engine, "commit", lambda conn: commits.append(1))
    for n in range(1, 231):
        writer.submit(_event(clock, n))
    assert writer.flush() == 230
    rows = _rows(store)
    assert [r.seq for r in rows] == list(range(1, 231))
    assert [r.object for r in rows] == [f"subject:S{n:08d}" for n in range(1, 231)]
    # One transaction per flush, each of at most 50 events: a handful of commits for 230 events, not 230.
    assert len(commits) == writer.flushes
    assert 5 <= writer.flushes <= 10
    assert writer.pending == 0
    assert auditing.verify(store, None).ok


def test_submit_does_not_wait_for_the_database(store: Store, clock: FixedClock, writer: AuditWriter) -> None:
    holding = threading.Event()
    release = threading.Event()

    def hold_the_append_lock() -> None:
        with store.unit_of_work() as conn:
            audit_rows.tail(conn, lock=True)
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_append_lock)
    holder.start()
    assert holding.wait(10)
    try:
        started = time.perf_counter()
        for n in range(1, 2001):
            writer.submit(_event(clock, n))
        elapsed = time.perf_counter() - started
        time.sleep(0.1)  # the writer thread is now stuck behind the lock
        assert writer.written == 0
        assert writer.pending == 2000
    finally:
        release.set()
        holder.join(10)
    # 2000 submits while the log was locked: well under a millisecond each.
    assert elapsed < 0.5
    assert writer.flush() == 2000
    assert len(_rows(store)) == 2000


def test_writer_keeps_events_through_a_failed_write(
    store: Store, clock: FixedClock, writer: AuditWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audit_rows.record
    failures = iter([True])

    def flaky(conn: Any, events: Any) -> Any:
        if next(failures, False):
            raise StoreError("database went away")
        return real(conn, events)

    monkeypatch.setattr(audit_rows, "record", flaky)
    for n in range(1, 4):
        writer.submit(_event(clock, n))
    assert writer.flush(timeout=10) == 3
    assert writer.last_error is None
    assert [r.seq for r in _rows(store)] == [1, 2, 3]


def test_a_closed_writer_refuses_events(store: Store, clock: FixedClock) -> None:
    writer = AuditWriter(store, flush_ms=1000)
    writer.submit_many([_event(clock, 1), _event(clock, 2)])
    writer.close()
    assert len(_rows(store)) == 2  # close wrote what was queued without waiting for the interval
    with pytest.raises(StoreError, match="closed"):
        writer.submit(_event(clock, 3))


def test_writer_settings_are_checked(store: Store) -> None:
    with pytest.raises(InvalidInput) as caught:
        AuditWriter(store, flush_ms=0)
    assert caught.value.field == "audit_flush_ms"


def test_signing_key_is_made_once_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    key = auditing.load_or_create_key(tmp_path / "home")
    path = tmp_path / "home" / auditing.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = auditing.load_or_create_key(tmp_path / "home")
    assert again.public_key().public_bytes_raw() == key.public_key().public_bytes_raw()
    path.write_text("not a key")
    with pytest.raises(ConfigError, match=r"audit_key\.pem"):
        auditing.load_or_create_key(tmp_path / "home")
    assert auditing.public_key_of(tmp_path / "elsewhere") is None


def test_checkpoints_are_signed_kept_and_proved_consistent(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    key = auditing.load_or_create_key(tmp_path)
    _log(store, clock, 5)
    first = auditing.checkpoint(store, key, clock)
    assert first.size == 5
    assert verify_checkpoint(first, key.public_key())
    # Nothing new: the same head comes back rather than another signature.
    assert auditing.checkpoint(store, key, clock) == first
    _log(store, clock, 8, first=6)
    second = auditing.checkpoint(store, key, clock)
    assert second.size == 13
    assert auditing.latest_checkpoint(store) == second
    assert [cp.size for cp in auditing.checkpoints(store)] == [5, 13]
    signed, proof = auditing.consistency(store, first.size, second.size)
    assert signed == second
    assert verify_extends(first, second, proof, key.public_key())
    result = auditing.verify(store, key.public_key())
    assert (result.ok, result.checked, result.checkpoints_checked) == (True, 13, 2)
    with pytest.raises(NotFound):
        auditing.consistency(store, 5, 12)
    with pytest.raises(InvalidInput):
        auditing.consistency(store, 13, 5)


def _tamper_update(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 3).values(actor="someone else"))


def _tamper_delete(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.delete(audit_log).where(audit_log.c.seq == 4))


def _tamper_swap(store: Store) -> None:
    columns = [c for c in audit_log.columns if c.name != "seq"]
    with store.engine.begin() as conn:
        two, five = (conn.execute(sa.select(*columns).where(audit_log.c.seq == seq)).one()._asdict() for seq in (2, 5))
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 2).values(**five))
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 5).values(**two))


TAMPERS = {
    "update": (_tamper_update, 3, "entry 3 was changed"),
    "delete": (_tamper_delete, 4, "entry 4 is missing"),
    "swap": (_tamper_swap, 2, "entry 2 is out of order"),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_verify_names_the_first_broken_entry(store: Store, clock: FixedClock, tamper: str) -> None:
    _log(store, clock, 6)
    assert auditing.verify(store, None).ok
    edit, first_bad, problem = TAMPERS[tamper]
    edit(store)
    result = auditing.verify(store, None)
    assert not result.ok
    assert result.first_bad_seq == first_bad
    assert result.problem is not None
    assert result.problem.startswith(problem)


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_audit_verify_command_exits_1_naming_the_entry(
    db_url: str, tmp_path: Path, clock: FixedClock, tamper: str
) -> None:
    runner = CliRunner()
    env = {"XINYONG_DATABASE_URL": db_url, "XINYONG_HOME": str(tmp_path / "home"), "XINYONG_NOW": "2025-06-01"}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    store = Store(db_url)
    try:
        _log(store, clock, 6)
        assert runner.invoke(app, ["audit", "checkpoint", "--json"], env=env).exit_code == 0
        fine = runner.invoke(app, ["audit", "verify", "--json"], env=env)
        assert fine.exit_code == 0, fine.output
        assert json.loads(fine.stdout)["checkpoints_checked"] == 1
        edit, first_bad, problem = TAMPERS[tamper]
        edit(store)
    finally:
        store.dispose()
    broken = runner.invoke(app, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    (line,) = broken.stderr.splitlines()
    assert line.startswith(f"error: {problem}")
    as_json = runner.invoke(app, ["audit", "verify", "--json"], env=env)
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert (document["ok"], document["first_bad_seq"]) == (False, first_bad)


def test_a_rewrite_with_fresh_hashes_is_caught_by_the_signed_checkpoint(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    key = auditing.load_or_create_key(tmp_path)
    _log(store, clock, 4)
    auditing.checkpoint(store, key, clock)
    # An insider rewrites entry 2 and reseals the whole chain so every row is self-consistent again.
    entries = [r.entry() for r in _rows(store)]
    entries[1] = replace(entries[1], actor="someone else")
    resealed = list(seal(entries))
    with store.unit_of_work() as conn:
        conn.execute(sa.delete(audit_log))
        audit_rows.append(conn, resealed)
    with store.connect() as conn:
        assert verify_log(audit_rows.iter_rows(conn)).ok  # the chain alone cannot tell
    result = auditing.verify(store, key.public_key())
    assert not result.ok
    assert "do not match the checkpoint" in (result.problem or "")


def test_a_truncated_tail_is_caught_by_the_signed_checkpoint(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    key = auditing.load_or_create_key(tmp_path)
    _log(store, clock, 4)
    auditing.checkpoint(store, key, clock)
    with store.engine.begin() as conn:
        conn.execute(sa.delete(audit_log).where(audit_log.c.seq == 4))
    result = auditing.verify(store, key.public_key())
    assert (result.ok, result.first_bad_seq) == (False, 4)
    with pytest.raises(StoreError, match="entries were removed"):
        auditing.checkpoint(store, key, clock)


def test_checkpoints_need_the_key_to_be_verified(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    _log(store, clock, 1)
    auditing.checkpoint(store, auditing.load_or_create_key(tmp_path), clock)
    with pytest.raises(ConfigError, match="public key"):
        auditing.verify(store, None)
    other = auditing.load_or_create_key(tmp_path / "other")
    result = auditing.verify(store, other.public_key())
    assert not result.ok
    assert "does not verify" in (result.problem or "")
