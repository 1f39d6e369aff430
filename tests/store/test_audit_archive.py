"""Archiving past months of the audit log on PostgreSQL (`partitions.detach` of an `audit_log_m…` partition):
what stays (leaf and chain hashes) keeps verification, signed checkpoints and consistency proofs whole, a
changed archived hash is found, and only the oldest past month that does not hold the newest entry goes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from xinyong import auditing
from xinyong.audit import generate_key, leaf_hash, verify_consistency
from xinyong.audit.entries import ArchivedLeaf
from xinyong.audit.verify import entry_of, verify_log
from xinyong.clock import FixedClock
from xinyong.errors import Conflict
from xinyong.store import Store, audit_rows, partitions
from xinyong.store.audit_rows import Concerns, Event

JAN = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
FEB = datetime(2025, 2, 10, 8, 0, tzinfo=UTC)
MAR = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)


def _month(store: Store, at: datetime, n: int) -> None:
    with store.unit_of_work() as conn:
        events = [Event(at, "op", "operator", "read", f"subject:{at:%m}-{i}", purpose="复核") for i in range(n)]
        # A batch check: one entry, indexed under each subject it found.
        concerns = Concerns("check", [f"subject:{at:%m}-a", f"subject:{at:%m}-b"], ["deny", "allow"])
        events.append(Event(at, "platform", "platform", "check.batch", "batch", concerns=concerns))
        audit_rows.record(conn, events)


@pytest.fixture
def pg_store(store: Store) -> Store:
    if store.dialect != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only")
    with store.unit_of_work() as conn:
        for month in (JAN, FEB, MAR):
            partitions.ensure(conn, month)
    return store


def test_an_archived_month_keeps_the_log_verifiable(pg_store: Store) -> None:
    store = pg_store
    key = generate_key()
    _month(store, JAN, 5)
    early = auditing.checkpoint(store, key, FixedClock(JAN))
    _month(store, FEB, 4)
    _month(store, MAR, 3)
    with store.connect() as conn:
        january = [row for row in audit_rows.iter_rows(conn) if row.at.month == 1]
    assert [row.seq for row in january] == list(range(1, 7))

    with store.unit_of_work() as conn:
        gone = partitions.detach(conn, "audit_log_m202501", at=NOW)
    assert gone.table == "audit_log"

    with store.connect() as conn:
        assert audit_rows.archived_through(conn) == 6
        # The month is a table of its own now, holding the entries as they were, for the archive.
        kept = conn.execute(sa.text("SELECT seq, leaf_hash FROM audit_log_m202501 ORDER BY seq")).all()
        assert [(seq, leaf) for seq, leaf in kept] == [(row.seq, row.leaf_hash) for row in january]
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE seq <= 6")).scalar() == 0
        log = list(audit_rows.iter_log(conn))
        # Its index rows went with it; February's are still there.
        assert not audit_rows.accesses(conn, ["subject:01-a"], ["check"])
        assert audit_rows.accesses(conn, ["subject:02-a"], ["check"])
        archive = conn.execute(sa.text("SELECT partition, first_seq, last_seq, entries FROM audit_archives")).one()
        last = audit_rows.tail(conn)
    assert tuple(archive) == ("audit_log_m202501", 1, 6, 6)
    assert [type(row) for row in log[:6]] == [ArchivedLeaf] * 6
    assert [row.seq for row in log] == list(range(1, len(log) + 1))
    # The archived content still matches what stayed of it.
    assert [leaf_hash(entry_of(row)).hex() for row in january] == [row.leaf_hash for row in log[:6]]
    # The detachment is an entry of its own.
    assert last is not None
    assert (last.action, last.object, last.detail["entries"]) == ("store.detach", "partition:audit_log_m202501", 6)

    result = auditing.verify(store, key.public_key())
    assert result.ok, result.problem
    assert result.checked == len(log)
    assert result.checkpoints_checked == 1
    late = auditing.checkpoint(store, key, FixedClock(NOW))
    signed, proof = auditing.consistency(store, early.size, late.size)
    roots = bytes.fromhex(early.root_hex), bytes.fromhex(signed.root_hex)
    assert verify_consistency(early.size, late.size, *roots, proof)
    # Appending goes on after the archive.
    _month(store, MAR, 1)
    assert auditing.verify(store, key.public_key()).ok


def test_a_changed_archived_hash_is_found(pg_store: Store) -> None:
    store = pg_store
    key = generate_key()
    _month(store, JAN, 3)
    _month(store, FEB, 2)
    auditing.checkpoint(store, key, FixedClock(FEB))
    with store.unit_of_work() as conn:
        partitions.detach(conn, "audit_log_m202501", at=NOW)
        conn.execute(sa.text("UPDATE audit_leaves SET leaf_hash = repeat('0', 64) WHERE seq = 2"))
    result = auditing.verify(store, key.public_key())
    assert not result.ok
    assert result.first_bad_seq == 2
    with store.connect() as conn:
        assert not verify_log(audit_rows.iter_log(conn)).ok


def test_only_the_oldest_past_month_without_the_newest_entry_goes(pg_store: Store) -> None:
    store = pg_store
    _month(store, JAN, 2)
    _month(store, FEB, 2)
    refusals = (
        ("audit_log_m202502", JAN.replace(day=31), "not over"),  # February has not even begun
        ("audit_log_m202502", NOW, "not the oldest"),  # January is still there
        ("audit_log_default", NOW, "default"),
    )
    for name, at, reason in refusals:
        with pytest.raises(Conflict, match=reason), store.unit_of_work() as conn:
            partitions.detach(conn, name, at=at)
    with store.unit_of_work() as conn:
        partitions.detach(conn, "audit_log_m202501", at=NOW)
    # The detachment's own entry was written in March, so February no longer holds the newest entry and
    # may go too; March, which does, may not, even once it is over.
    with store.unit_of_work() as conn:
        partitions.detach(conn, "audit_log_m202502", at=NOW)
    with pytest.raises(Conflict, match="newest"), store.unit_of_work() as conn:
        partitions.detach(conn, "audit_log_m202503", at=datetime(2025, 4, 2, tzinfo=UTC))
    assert auditing.verify(store, None).ok
