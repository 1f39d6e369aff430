"""Primary keys handed out before the insert (`keys.allocate`): ascending, distinct, above every key stored,
and the keys the rows are then stored under (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from xinyong.clock import CST
from xinyong.store import NewSubject, Store, keys, subjects
from xinyong.store.schema import subjects as subjects_table

AT = datetime(2025, 6, 1, 12, 0, tzinfo=CST)


def _new(n: int) -> NewSubject:
    return NewSubject(kind="org", name=f"测试{n}有限公司", name_norm=f"测试{n}", id_kind="uscc", id_value=f"ID{n}")


def test_keys_are_fresh_and_rows_are_stored_under_them(store: Store) -> None:
    with store.unit_of_work() as conn:
        first = subjects.insert_many(conn, [_new(n) for n in range(3)], at=AT)
        fresh = keys.allocate(conn, subjects_table, 20_000)
        assert keys.allocate(conn, subjects_table, 0) == []
    assert first == sorted(first)
    assert fresh == sorted(fresh)
    assert len(set(fresh)) == 20_000
    assert min(fresh) > max(first)
    with store.connect() as conn:
        found = subjects.pks_by_id_values(conn, {"ID0", "ID1", "ID2"})
    assert [found[f"ID{n}"] for n in range(3)] == [(pk, "org") for pk in first]
