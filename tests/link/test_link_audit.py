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


def _subjects_truth(path: Path, reps: dict[str, str]) -> None:
    with (path / "truth" / "subjects.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["kind", "id", "name", "legal_rep_id"])
        out.writerows([("org", org, "某公司", rep) for org, rep in reps.items()])


def test_published_restrictions_are_judged_against_truth(registry: Registry, tmp_path: Path) -> None:
    """A defaulter record a clerk confirmed onto the wrong person, and a company's restriction reaching a
    person who is not its legal representative, are the wrongful restrictions; the rightful ones are not."""
    from datetime import date

    from xinyong.screening import publish
    from xinyong.store import records, roles

    defaulter = {"agency": "court.110105", "record_type": "court.defaulter"}
    registry.person("张三", date(1980, 1, 1), **defaulter)  # rightly listed, by code
    wronged, _ = registry.person("张三", date(1981, 2, 2))
    rep, rep_code = registry.person("李四", date(1970, 3, 3))
    impostor, _ = registry.person("王五", date(1972, 4, 4))
    org, org_code = registry.org(
        "北京星辰科技有限公司", agency="court.110105", record_type="court.consumption_restriction"
    )
    other_org, other_code = registry.org(
        "北京晨光贸易有限公司", agency="court.110105", record_type="court.consumption_restriction"
    )
    # Really about a third 张三 who is not on file; a clerk confirmed it onto the one born in 1981.
    stray = registry.pending("张三", kind="person", **defaulter)
    with registry.store.unit_of_work() as conn:
        records.set_links(conn, [records.LinkUpdate(stray, wronged, "confirmed")])
        roles.set_legal_rep(conn, org, rep, date(2020, 1, 1))  # right
        roles.set_legal_rep(conn, other_org, impostor, date(2020, 1, 1))  # truth names rep_code
    publish(registry.store, default_catalog(), CLOCK)
    with registry.store.connect() as conn:
        stored = linkage.assignments(conn)
    truth = [(a.agency, a.record_id, a.subject_id_value or "") for a in stored if a.link == "id"]
    truth.append((registry.record(stray).agency, registry.record(stray).record_id, "110105199001011234"))
    folder = _truth(tmp_path, truth)
    _subjects_truth(folder, {org_code: rep_code, other_code: rep_code})

    report = wrongful_match_report(registry.store, folder)

    assert report.restrictions is not None
    r = report.restrictions.as_dict()
    assert (r["direct"], r["via_role"]) == (4, 2)  # three court records and the stray; two companies' reps
    assert r["judged"] == r["targets"] == 6
    assert r["wrongful"] == 2
    wrong = {(e["record"], e["via_role"]) for e in r["examples"]}
    assert wrong == {
        (f"court.110105:{registry.record(stray).record_id}", None),
        (f"court.110105:{next(a.record_id for a in stored if a.subject_pk == other_org)}", "legal_representative"),
    }
    assert report.as_dict()["restrictions"]["wrongful"] == 2


def test_restrictions_are_not_judged_without_subjects_truth(registry: Registry, tmp_path: Path) -> None:
    registry.org("北京星辰科技有限公司")
    folder = _truth(tmp_path, [("samr.110000", "R1", "91110105THIRDCOMPANY")])
    report = wrongful_match_report(registry.store, folder)
    assert report.restrictions is None
    assert report.notes == ["no truth/subjects.csv: published restrictions not judged"]
