"""`xinyong synth`: writes the province, prints one JSON document with --json, one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from xinyong.cli.app import app
from xinyong.cli.synth_cmd import build_params

runner = CliRunner()


def test_synth_writes_feeds_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "province"
    result = runner.invoke(app, ["synth", "--out", str(out), "--orgs", "200", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["orgs"], doc["persons"], doc["years"]) == (200, 300, 3)
    assert [f["agency"] for f in doc["feeds"]] == [
        "court.110105",
        "samr.110000",
        "tax.110000",
        "mee.110000",
        "procurement.110000",
    ]
    assert doc["rows"] == sum(f["rows"] for f in doc["feeds"]) > 0
    for feed in doc["feeds"]:
        assert (out / feed["path"]).is_file()
    assert sorted(p.name for p in (out / "truth").iterdir()) == [
        "feeds.json",
        "outcomes.csv",
        "records.csv",
        "subjects.csv",
    ]


def test_synth_prints_a_table(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "p"), "--orgs", "100", "--persons", "120"])
    assert result.exit_code == 0, result.output
    assert "court.110105.csv" in result.stdout
    assert "superseded" in result.stdout


def test_bad_size_is_a_one_line_user_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "p"), "--orgs", "0"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: orgs: must be a whole number from 1 to 50,000,000, got 0"
    assert not (tmp_path / "p").exists()


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["synth", "--out", str(taken), "--orgs", "10"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: out: ")
    assert "is not a folder" in result.stderr


def test_bad_as_of_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "p"), "--as-of", "2026-02-30"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: as-of: '2026-02-30' is not a date")


def test_more_companies_bring_more_people() -> None:
    params = build_params("small", 1_000_000, None, None, None, None)
    assert (params.orgs, params.persons, params.years) == (1_000_000, 1_500_000, 3)
    assert build_params("medium", None, 10, 2, 9, "2025-12-31").persons == 10
    assert build_params("medium", None, None, None, None, "2025-12-31").as_of.isoformat() == "2025-12-31"
