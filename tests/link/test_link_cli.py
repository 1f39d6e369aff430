"""`xinyong link`, `xinyong link audit` and `xinyong review`: one JSON document with --json, one error
line for bad input, and a spark backend that says how to install it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from link_samples import Registry
from typer.testing import CliRunner

from xinyong.cli.app import app
from xinyong.link.backends import spark_available
from xinyong.store import Store

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(autouse=True)
def _environment(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray xinyong.toml
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_NOW", "2025-06-01")
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))


def _seed(registry: Registry) -> tuple[int, int]:
    registry.org("北京星辰科技有限公司", address="北京市朝阳区建国路88号", phone="010-65001234")
    sure = registry.pending("北京星辰科技有限责任公司", address="北京市朝阳区建国路88号", phone="01065001234")
    doubtful = registry.pending("北京星辰科枝有限公司", address="北京市朝阳区光华路1号")
    return sure, doubtful


def test_link_review_and_audit_from_the_command_line(registry: Registry, tmp_path: Path) -> None:
    sure, doubtful = _seed(registry)
    linked = runner.invoke(app, ["link", "--json"])
    assert linked.exit_code == 0, linked.output
    doc = json.loads(linked.stdout)
    assert (doc["pending"], doc["linked_by_model"], doc["sent_to_review"], doc["new_subject"]) == (2, 1, 1, 0)
    assert doc["totals"] == {"id": 1, "model": 1, "review": 1}

    listed = runner.invoke(app, ["review", "list", "--json"])
    (item,) = json.loads(listed.stdout)
    assert item["candidates"][0]["subject"] == "S00000001"
    decided = runner.invoke(
        app, ["review", "confirm", str(item["item"]), "--reason", "typo in the name", "--by", "alice", "--json"]
    )
    assert decided.exit_code == 0, decided.output
    assert json.loads(decided.stdout)["link"] == "confirmed"
    again = runner.invoke(app, ["review", "reject", str(item["item"]), "--reason", "no"])
    assert again.exit_code == 1
    assert again.stderr.strip() == f"error: item: review item {item['item']} was already decided (confirmed)"

    truth = tmp_path / "province"
    (truth / "truth").mkdir(parents=True)
    with (truth / "truth" / "records.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["agency", "record_id", "record_type", "subject_kind", "subject_id", "expected"])
        for pk in (sure, doubtful):
            row = registry.record(pk)
            subject = registry.record(1)  # the known company's own id-linked record
            out.writerow([row.agency, row.record_id, row.record_type, "org", subject.subject_id, "stored"])
    audited = runner.invoke(app, ["link", "audit", "--truth", str(truth), "--json"])
    assert audited.exit_code == 0, audited.output
    report = json.loads(audited.stdout)
    assert report["model_links"] == 1
    assert report["review"] == {"open": 0, "confirmed": 1, "rejected": 0, "reassigned": 0}
    assert report["review_rejection_rate"] == 0.0
    assert report["truth"]["false_model_links"] == 0
    assert report["truth"]["wrong_id_or_confirmed"] == 0
    assert report["truth"]["precision"] == 1.0

    text = runner.invoke(app, ["link"])
    assert text.stdout.strip() == "nothing to link: no pending records"


@pytest.mark.skipif(spark_available(), reason="pyspark is installed here")
def test_spark_without_pyspark_is_one_line_saying_how_to_install_it(registry: Registry) -> None:
    _seed(registry)
    result = runner.invoke(app, ["link", "--backend", "spark"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the spark backend needs pyspark, which is not installed: pip install 'xinyong[spark]'\n"
    )
    assert registry.record(2).link == "pending"


def test_bad_review_input_is_one_line(registry: Registry) -> None:
    missing = runner.invoke(app, ["review", "confirm", "99", "--reason", "r"])
    assert (missing.exit_code, missing.stderr) == (1, "error: item: no review item 99\n")
    status = runner.invoke(app, ["review", "list", "--status", "maybe"])
    assert (status.exit_code, status.stderr) == (1, "error: status: unknown review status 'maybe'\n")
    no_truth = runner.invoke(app, ["link", "audit", "--truth", "/nonexistent"])
    assert no_truth.exit_code == 1
    assert no_truth.stderr.startswith("error: truth: /nonexistent has no truth/records.csv")
