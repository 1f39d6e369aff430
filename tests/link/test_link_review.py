"""Review decisions: confirm, reject and assign each change the record's link and write an audit entry
in the same unit of work; a rejected subject is never proposed again for that record."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from link_samples import CLOCK, NOW, Registry

from xinyong.catalog import default_catalog
from xinyong.errors import Conflict, InvalidInput, NotFound
from xinyong.link import link_pending
from xinyong.link.review import assign, confirm, list_items, reject
from xinyong.settings import Settings
from xinyong.store import audit_rows, linkage, records, subjects

pytestmark = pytest.mark.integration
CAT = default_catalog()


def _queue(registry: Registry) -> tuple[int, int, int]:
    """A known company, another one, and a record waiting for review about the first; returns their pks."""
    star, _ = registry.org("北京星辰科技有限公司", address="北京市朝阳区建国路88号", phone="010-65001234")
    moon, _ = registry.org("北京星辰科技发展有限公司", address="北京市海淀区中关村大街1号")
    pk = registry.pending("北京星辰科枝有限公司", address="北京市朝阳区光华路1号")
    link_pending(registry.store, CAT, CLOCK, Settings())
    assert registry.record(pk).link == "review"
    return star, moon, pk


def _only_item(registry: Registry) -> int:
    (view,) = list_items(registry.store)
    return view.item


def test_confirm_links_the_record_and_audits_the_decision(registry: Registry) -> None:
    star, _, pk = _queue(registry)
    item = _only_item(registry)
    (view,) = list_items(registry.store)
    assert view.candidates[0]["subject"] == "S00000001"
    assert view.name == "北京星辰科枝有限公司"
    outcome = confirm(registry.store, CLOCK, item, by="alice", reason="same company, typo in the name")
    assert outcome.as_dict() == {
        "item": item,
        "decision": "confirm",
        "record": registry.record(pk).key,
        "link": "confirmed",
        "subject": "S00000001",
    }
    row = registry.record(pk)
    assert (row.link, row.subject_pk) == ("confirmed", star)
    with registry.store.connect() as conn:
        decided = linkage.review_get(conn, item)
        (entry,) = [r for r in audit_rows.read_range(conn) if r.action == "review.decide"]
    assert (decided.status, decided.decided_by, decided.decided_at) == ("confirmed", "alice", NOW)
    assert (entry.actor, entry.role, entry.object) == ("alice", "operator", row.key)
    assert entry.detail["reason"] == "same company, typo in the name"
    assert entry.detail["subject"] == "S00000001"
    assert entry.detail["decision"] == "confirm"
    assert list_items(registry.store) == []
    assert [v.status for v in list_items(registry.store, status=None)] == ["confirmed"]


def test_reject_gives_a_new_subject_and_is_remembered(registry: Registry) -> None:
    star, _, pk = _queue(registry)
    outcome = reject(registry.store, CLOCK, _only_item(registry), by="bob", reason="a different company")
    row = registry.record(pk)
    assert row.link == "new"
    assert row.subject_pk not in (None, star)
    assert outcome.subject != "S00000001"
    # The agency corrects the record: the new version waits for linkage, and is not proposed to star again.
    with registry.store.unit_of_work() as conn:
        again = records.supersede(conn, replace(row, link="pending", subject_pk=None, row_hash="v2"), at=NOW)
    link_pending(registry.store, CAT, CLOCK, Settings())
    after = registry.record(again.pk)
    assert after.subject_pk != star
    with registry.store.connect() as conn:
        assert linkage.review_counts(conn) == {"rejected": 1}


def test_assign_by_key_or_code_attaches_the_record_elsewhere(registry: Registry) -> None:
    _, moon, pk = _queue(registry)
    with registry.store.connect() as conn:
        target = subjects.get(conn, moon)
    assert target is not None
    assert target.id_value is not None
    outcome = assign(registry.store, CLOCK, _only_item(registry), f" {target.id_value.lower()} ", by="c", reason="r")
    assert (outcome.link, outcome.subject) == ("confirmed", target.key)
    assert registry.record(pk).subject_pk == moon
    assert [v.status for v in list_items(registry.store, status="reassigned")] == ["reassigned"]


def test_bad_decisions_are_refused_without_changing_anything(registry: Registry) -> None:
    _, _, pk = _queue(registry)
    item = _only_item(registry)
    person, _ = registry.person("张三", born=date(1980, 1, 1))
    with pytest.raises(NotFound, match="no subject"):
        assign(registry.store, CLOCK, item, "S09999999", by="c", reason="r")
    with pytest.raises(InvalidInput, match="is a person"):
        assign(registry.store, CLOCK, item, f"S{person:08d}", by="c", reason="r")
    with pytest.raises(InvalidInput, match="reason"):
        confirm(registry.store, CLOCK, item, by="c", reason="  ")
    with pytest.raises(NotFound, match="no review item"):
        confirm(registry.store, CLOCK, item + 100, by="c", reason="r")
    assert registry.record(pk).link == "review"
    confirm(registry.store, CLOCK, item, by="c", reason="r")
    with pytest.raises(Conflict, match="already decided"):
        reject(registry.store, CLOCK, item, by="c", reason="r")
    with pytest.raises(InvalidInput, match="unknown review status"):
        list_items(registry.store, status="maybe")
