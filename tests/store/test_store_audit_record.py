"""store.audit_rows.record seals events after the tail, and the log verifies end to end."""

from __future__ import annotations

from datetime import UTC, datetime

from xinyong.audit.verify import verify_log
from xinyong.store import Store, audit_rows
from xinyong.store.audit_rows import Event

T = datetime(2025, 6, 1, 4, 0, tzinfo=UTC)


def test_recorded_events_chain_on_and_verify(store: Store) -> None:
    with store.unit_of_work() as conn:
        first = audit_rows.record(conn, [Event(T, "court.110105", "agency", "ingest", "batch:1")])
    with store.unit_of_work() as conn:
        more = audit_rows.record(
            conn,
            [
                Event(T, "op", "operator", "read", "subject:S1", purpose="复核异议"),
                Event(T, "op", "operator", "read", "subject:S2", detail={"n": 2}),
            ],
        )
    assert [r.seq for r in first + more] == [1, 2, 3]
    with store.connect() as conn:
        result = verify_log(audit_rows.iter_rows(conn))
    assert result.ok
    assert result.checked == 3
