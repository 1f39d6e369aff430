"""The wrongful-match estimate: sum of (1 - p) over model links, reviewers' rejection rate, and exact
counts against truth, where a link to another entity's subject is a false link."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from link_samples import CLOCK, Registry

from xinyong.catalog import default_catalog
from xinyong.link import link_pending
from xinyong.link.audit_estimate import check, judge, read_truth, wrongful_match_report
from xinyong.link.review import list_items, reject
from xinyong.settings import Settings
from xinyong.store import linkage

pytestmark = pytest.mark.integration


def _truth(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    (path / "truth").mkdir(parents=True, exist_ok=True)
    with (path / "truth" / "records.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["agency", "record_id", "record_type", "subject_kind", "subject_id", "expected"])
        out.writerows([(a, r, "admin.penalty", "org", t, "stored") for a, r, t in rows])
    return path


def test_expected_and_counted_false_links(registry: Registry, tmp_path: Path) -> None:
    _, star_code = registry.org("北京星辰科技有限公司", address="北京市朝阳区建国路88号", phone="010-65001234")
    registry.org("北京星辰科技发展有限公司", address="北京市海淀区中关村大街1号")
    right = registry.pending("北京星辰科技有限责任公司", address="北京市朝阳区建国路88号", phone="01065001234")
    # Really about a third company that is not on file yet: the model will still put it on star.
    wrong = registry.pending("北京星辰科技有限公司", address="北京市朝阳区建国路88号")
    doubtful = registry.pending("北京星辰科枝有限公司", address="北京市朝阳区光华路1号")
    stranger = registry.pending("上海完全不同实业有限公司")
    link_pending(registry.store, default_catalog(), CLOCK, Settings())
    (item,) = list_items(registry.store)
    reject(registry.store, CLOCK, item.item, by="alice", reason="not the same company")

    rows = {pk: registry.record(pk) for pk in (right, wrong, doubtful, stranger)}
    probabilities = [r.link_probability for r in rows.values() if r.link == "model"]
    assert len(probabilities) == 2
    folder = _truth(
        tmp_path,
        [
            (rows[right].agency, rows[right].record_id, star_code),
            (rows[wrong].agency, rows[wrong].record_id, "91110105THIRDCOMPANY"),
            (rows[doubtful].agency, rows[doubtful].record_id, "91110105DOUBTFUL0001"),
            (rows[stranger].agency, rows[stranger].record_id, "91310000STRANGER0001"),
        ],
    )
    report = wrongful_match_report(registry.store, folder)
    assert report.model_links == 2
    assert report.expected_false_links == pytest.approx(sum(1.0 - p for p in probabilities if p is not None))
    assert sum(b["links"] for b in report.bands) == 2
    assert report.rejection_rate == 1.0
    assert report.truth is not None
    counted = report.truth.as_dict()
    assert counted["false_model_links"] == 1
    assert counted["records"] == 4
    assert counted["correct"] == 3  # right, and the two that got subjects of their own
    assert counted["precision"] == pytest.approx(0.75)


def test_splits_are_not_false_links_but_cost_recall(registry: Registry, tmp_path: Path) -> None:
    _, code = registry.org("北京星辰科技有限公司", address="北京市朝阳区建国路88号")
    lost = registry.pending("上海完全不同实业有限公司")  # really about star, but nothing says so
    link_pending(registry.store, default_catalog(), CLOCK, Settings())
    row = registry.record(lost)
    with registry.store.connect() as conn:
        judged = judge(
            linkage.assignments(conn),
            read_truth(_truth(tmp_path, [(row.agency, row.record_id, code), ("samr.110000", "R1", code)])),
        )
    verdicts = {j.assignment.pk: j.verdict for j in judged}
    assert verdicts == {1: "correct", lost: "split"}
    summary = check(judged)
    assert (summary.precision, summary.recall) == (1.0, 0.5)
