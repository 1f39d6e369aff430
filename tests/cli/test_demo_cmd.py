"""`xinyong demo --no-serve` runs every stage on a small synthetic province and reports each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.cli.app import app


@pytest.mark.integration
@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XINYONG_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XINYONG_NOW", "2026-07-01")
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {f["agency"] for f in summary["feeds"]} >= {"court.110105", "samr.110000", "tax.110000"}
    for feed in summary["feeds"]:
        assert feed["accepted"] + feed["rejected"] + feed["unchanged"] + feed["superseded"] == feed["rows"]
    assert summary["records"] > 1000
    assert summary["ratings"]["rated"] > 0
    assert summary["sample_denial"]["allowed"] is False
    assert {k["role"] for k in summary["keys"]} == {"platform", "court", "agency", "regulator", "operator"}
    assert all(line.startswith("curl ") for line in summary["curl"])
    again = CliRunner().invoke(app, ["demo", "--no-serve", "--json"])  # a second run changes nothing
    assert again.exit_code == 0, again.output
    assert all(f["accepted"] == 0 for f in json.loads(again.stdout)["feeds"])
