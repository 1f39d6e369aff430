"""The subject side of a linkage is read and prepared a chunk of subjects at a time: whatever the chunk size
and however often the run's memo starts afresh, the side is the same table, each subject described by the
records tied to it (and only those), and a near miss is still found among subjects of its own kind."""

from __future__ import annotations

import pyarrow as pa
import pytest
from link_samples import Registry, populate

from xinyong.link import frames, resolve
from xinyong.link.normalise import Memo
from xinyong.link.plan import Plan
from xinyong.store import linkage

pytestmark = pytest.mark.integration


def _side(registry: Registry, kind: str, chunk: int, memo: Memo | None, monkeypatch: pytest.MonkeyPatch) -> pa.Table:
    monkeypatch.setattr(resolve, "SUBJECT_CHUNK", chunk)
    plan = Plan()
    with registry.store.connect() as conn:
        side = resolve.subject_side(conn, kind, plan, memo)
    assert set(plan.seconds) <= {"read", "prepare"}
    return side


def test_chunks_and_a_forgetful_memo_give_the_side_one_read_gives(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(registry.store, 40, strangers=0)
    registry.org(
        "北京星辰科技有限公司", address="北京市朝阳区建国路88号", phone="010-65001234", legal_rep_name="王建国"
    )
    whole = _side(registry, "person", 10**9, None, monkeypatch)
    monkeypatch.setattr(resolve, "MEMO_LIMIT", 5)
    for chunk in (1, 3, 7, 39, 40, 41):
        assert _side(registry, "person", chunk, Memo(), monkeypatch).equals(whole), chunk
    assert whole.num_rows == 40
    assert whole.schema == frames.arrow_schema("person")
    # Every person has the address and phone of the one record tied to it, and a birth date from the code.
    table = whole.to_pydict()
    for column in ("street", "phone", "birth_date"):
        assert all(table[column]), column
    assert len(set(table["phone"])) == 40
    orgs = _side(registry, "org", 1, None, monkeypatch)
    assert orgs.num_rows == 1
    assert orgs.to_pydict()["phone"] == ["01065001234"]


def test_an_empty_kind_gives_an_empty_side_of_its_columns(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    side = _side(registry, "org", 3, None, monkeypatch)
    assert side.num_rows == 0
    assert side.schema == frames.arrow_schema("org")


def test_chunks_carry_each_subjects_evidence_with_it(registry: Registry) -> None:
    populate(registry.store, 9, strangers=0)
    with registry.store.connect() as conn:
        chunks = list(linkage.subject_chunks(conn, "person", 4))
    assert [len(entries) for entries, _ in chunks] == [4, 4, 1]
    for entries, evidence in chunks:
        assert {e.subject_pk for e in evidence} == {e.pk for e in entries}


def test_codes_held_are_those_a_subject_of_the_side_holds(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    populate(registry.store, 5, strangers=0)
    _, org_code = registry.org("北京星辰科技有限公司")
    people = _side(registry, "person", 2, None, monkeypatch)
    held = people.to_pydict()["id_code"]
    assert frames.codes_held(people, [held[0], held[3], org_code, "110105199001011234"]) == {held[0], held[3]}
    assert frames.codes_held(people, []) == set()
    assert frames.codes_held(frames.concat_side("person", []), held) == set()


def test_a_memo_forgets_everything_past_its_limit() -> None:
    memo = Memo()
    memo.table(str.upper).update({"a": "A", "b": "B"})
    memo.trim(2)
    assert memo.table(str.upper) == {"a": "A", "b": "B"}
    memo.table(str.lower)["C"] = "c"
    memo.trim(2)
    assert memo.table(str.upper) == {}
    assert memo.table(str.lower) == {}
