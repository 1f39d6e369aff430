"""The audit writer in a process of its own: bulk writes in submit order, no wait for the database, nothing
lost when the child is killed, the chain unbroken when the server appends its own entries meanwhile, and
the services choosing it for any database another process can open."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from xinyong import auditing
from xinyong.audit_worker import ProcessAuditWriter, _write
from xinyong.auditing import AuditWriter
from xinyong.bootstrap import Services
from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.errors import InvalidInput, StoreError
from xinyong.settings import Settings
from xinyong.store import Store, audit_rows
from xinyong.store.audit_rows import Concerns, Event

pytestmark = pytest.mark.integration


def _event(clock: FixedClock, n: int) -> Event:
    return Event(
        at=clock.now() + timedelta(seconds=n),
        actor="airline",
        role="platform",
        action="check.request",
        object="action:air_ticket",
        detail={"n": n},
        concerns=Concerns("check", [f"subject:S{n:08d}"], ["deny"]),
    )


def _rows(store: Store) -> list[audit_rows.AuditRow]:
    with store.connect() as conn:
        return audit_rows.read_range(conn)


@pytest.fixture
def writer(store: Store) -> Iterator[ProcessAuditWriter]:
    made = ProcessAuditWriter(store.url, flush_ms=20, batch_size=50)
    yield made
    made.close()


def _hold_append_lock(store: Store) -> tuple[threading.Event, threading.Thread]:
    """A transaction that holds the log's append lock until the returned event is set."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.unit_of_work() as conn:
            audit_rows.tail(conn, lock=True)
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    return release, holder


def test_child_writes_submitted_events_in_order_and_in_bulk(
    store: Store, clock: FixedClock, writer: ProcessAuditWriter
) -> None:
    for n in range(1, 101):
        writer.submit(_event(clock, n))
    writer.submit_many([_event(clock, n) for n in range(101, 231)])
    assert writer.flush() == 230
    rows = _rows(store)
    assert [r.seq for r in rows] == list(range(1, 231))
    assert [r.detail["n"] for r in rows] == list(range(1, 231))
    assert 5 <= writer.flushes <= 230 // 10  # transactions of up to 50 events, not one per event
    assert writer.pending == 0
    assert writer.last_error is None
    with store.connect() as conn:
        [look] = audit_rows.accesses(conn, {"subject:S00000007"}, {"check"})
    assert look.seq == 7  # the access index row went in with its entry
    assert auditing.verify(store, None).ok


def test_submit_does_not_wait_for_the_database(store: Store, clock: FixedClock, writer: ProcessAuditWriter) -> None:
    release, holder = _hold_append_lock(store)
    try:
        for n in range(1, 2001):
            writer.submit(_event(clock, n))
        time.sleep(0.3)  # the child is now stuck behind the lock
        assert writer.written == 0
        assert writer.pending == 2000
    finally:
        release.set()
        holder.join(10)
    assert writer.flush() == 2000
    assert len(_rows(store)) == 2000


def test_single_checks_from_many_threads_are_each_written_once_in_their_order(
    store: Store, clock: FixedClock, writer: ProcessAuditWriter
) -> None:
    # The server's single checks submit one event each; the sender hands them to the child in groups.
    def submit(first: int) -> None:
        for n in range(first, first + 250):
            writer.submit(_event(clock, n))

    threads = [threading.Thread(target=submit, args=(t * 1000,)) for t in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert writer.flush() == 1000
    numbers = [r.detail["n"] for r in _rows(store)]
    assert sorted(numbers) == [t * 1000 + i for t in range(1, 5) for i in range(250)]
    for t in range(1, 5):
        assert [n for n in numbers if n // 1000 == t] == [t * 1000 + i for i in range(250)]
    assert writer.flushes < 1000 // 10
    assert auditing.verify(store, None).ok


def test_the_sender_tries_again_when_no_child_can_be_started(
    store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = ProcessAuditWriter(store.url, flush_ms=20, batch_size=50)
    real = writer._running
    calls = {"n": 0}

    def first_fails() -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("no process could be started")
        return real()

    monkeypatch.setattr(writer, "_running", first_fails)
    try:
        writer.submit(_event(clock, 1))
        deadline = time.monotonic() + 20
        while writer.written < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert writer.written == 1  # no flush asked for it: the sender handed it over on its second try
        assert calls["n"] >= 2
    finally:
        writer.close()
    assert [r.detail["n"] for r in _rows(store)] == [1]


def test_a_killed_child_loses_nothing(store: Store, clock: FixedClock, writer: ProcessAuditWriter) -> None:
    writer.submit_many([_event(clock, n) for n in range(1, 11)])
    assert writer.flush() == 10
    release, holder = _hold_append_lock(store)
    try:
        writer.submit_many([_event(clock, n) for n in range(11, 61)])
        time.sleep(0.3)  # the child holds these fifty in memory, waiting for the lock
        child = writer._process
        assert child is not None
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert writer.written == 10
        assert writer.pending == 50
    finally:
        release.set()
        holder.join(10)
    writer.submit(_event(clock, 61))  # starts another child, which is handed the fifty first
    assert writer.flush() == 61
    assert writer.restarts == 1
    assert [r.detail["n"] for r in _rows(store)] == list(range(1, 62))  # each once, in order
    assert auditing.verify(store, None).ok


def test_the_server_own_entries_and_the_child_share_one_chain(
    store: Store, clock: FixedClock, writer: ProcessAuditWriter
) -> None:
    for n in range(1, 201):
        writer.submit(_event(clock, n))
        if n % 20 == 0:  # a change audited in the server's own transaction, while the child appends
            auditing.record(store, [Event(at=clock.now(), actor="clerk", role="operator", action="edit", object="x")])
    writer.flush()
    rows = _rows(store)
    assert [r.seq for r in rows] == list(range(1, 211))
    assert sorted(r.detail["n"] for r in rows if r.action == "check.request") == list(range(1, 201))
    assert auditing.verify(store, None).ok


def test_submit_waits_once_too_many_events_wait(store: Store, clock: FixedClock) -> None:
    writer = ProcessAuditWriter(store.url, flush_ms=20, max_pending=100)
    try:
        release, holder = _hold_append_lock(store)
        done = threading.Event()

        def submit_all() -> None:
            for n in range(1, 151):
                writer.submit(_event(clock, n))
            done.set()

        submitter = threading.Thread(target=submit_all)
        try:
            submitter.start()
            time.sleep(0.5)
            assert not done.is_set()  # held back at the bound while the child cannot write
            assert writer.pending == 100
        finally:
            release.set()
            holder.join(10)
        submitter.join(30)
        assert done.is_set()
        assert writer.flush() == 150
    finally:
        writer.close()


def test_close_writes_what_is_queued_then_refuses_events(store: Store, clock: FixedClock) -> None:
    writer = ProcessAuditWriter(store.url, flush_ms=5000)
    writer.submit_many([_event(clock, 1), _event(clock, 2)])
    writer.close()
    assert len(_rows(store)) == 2  # close did not wait out the interval
    with pytest.raises(StoreError, match="closed"):
        writer.submit(_event(clock, 3))


def test_settings_are_checked(store: Store) -> None:
    with pytest.raises(InvalidInput, match="positive number of milliseconds"):
        ProcessAuditWriter(store.url, flush_ms=0)
    with pytest.raises(InvalidInput, match="positive batch size"):
        ProcessAuditWriter(store.url, batch_size=0)
    with pytest.raises(InvalidInput, match="positive number of events"):
        ProcessAuditWriter(store.url, max_pending=0)


def test_a_failed_write_is_retried_with_the_same_events(
    store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The child's write step, run here so the database can be made to fail once.
    real = audit_rows.record
    failures = iter([True])

    def flaky(conn: Any, events: Any) -> Any:
        if next(failures, False):
            raise StoreError("database went away")
        return real(conn, events)

    monkeypatch.setattr(audit_rows, "record", flaky)
    errors: list[str] = []
    error = SimpleNamespace(raw=b"")
    monkeypatch.setattr("xinyong.audit_worker._set_error", lambda _, text: errors.append(text))
    written, flushes = SimpleNamespace(value=0), SimpleNamespace(value=0)
    held = [_event(clock, n) for n in range(1, 4)]
    _write(store, held, written, flushes, error, 0.001, 2, stopping=False)
    assert held == []
    assert (written.value, flushes.value) == (3, 2)
    assert errors[0] == "StoreError: database went away"
    assert errors[-1] == ""
    assert [r.seq for r in _rows(store)] == [1, 2, 3]


def test_services_use_the_process_writer_for_a_database_others_can_open(tmp_path: Any, clock: FixedClock) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    Store(url).init()
    catalog = default_catalog()
    for choice, memory, expected in (
        ("process", False, ProcessAuditWriter),
        ("thread", False, AuditWriter),
        ("process", True, AuditWriter),
    ):
        settings = Settings(database_url="sqlite://" if memory else url, audit_writer=choice)
        with Services(settings=settings, clock=clock, catalog=catalog) as services:
            assert type(services.audit_writer) is expected
