"""`xinyong catalog`: one JSON document with every part, Rich tables otherwise, one error line when broken."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from catalog_contract import ACTIONS, AGENCIES, LISTS, RECORD_TYPES
from typer.testing import CliRunner

from xinyong.cli.app import app, main

runner = CliRunner()


@pytest.fixture(autouse=True)
def _plain_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray xinyong.toml
    monkeypatch.delenv("XINYONG_CATALOG_EXTRA", raising=False)


def test_json_has_every_part_and_every_contract_code_with_its_legal_basis() -> None:
    result = runner.invoke(app, ["catalog", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc) == [
        "agencies",
        "legal_bases",
        "record_types",
        "lists",
        "measures",
        "actions",
        "sources",
        "rating_models",
    ]
    codes = {part: {e.get("code", e.get("agency")) for e in entries} for part, entries in doc.items()}
    bases = codes["legal_bases"]
    assert set(AGENCIES) <= codes["agencies"]
    assert codes["actions"] >= ACTIONS
    for entry in doc["record_types"]:
        if entry["code"] in RECORD_TYPES:
            assert entry["legal_basis"] in bases
    for entry in doc["lists"]:
        assert entry["legal_basis"] in bases
    for entry in doc["measures"]:
        assert entry["legal_basis"] in bases
        assert set(entry["further_bases"]) <= bases
    assert set(RECORD_TYPES) <= {e["code"] for e in doc["record_types"]}
    assert codes["lists"] >= LISTS
    air = next(e for e in doc["measures"] if e["code"] == "no_air_travel")
    assert air["legal_basis"] == "spc.consumption_restriction.art3"
    spc = next(e for e in doc["legal_bases"] if e["code"] == "spc.defaulter_list.art1")
    assert (spc["doc_no"], spc["in_force_from"]) == ("法释〔2017〕7号", "2017-05-01")
    court = next(e for e in doc["sources"] if e["agency"] == "court.110105")
    assert court["columns"]["被执行人"] == "subject_name"


def test_tables_summarise_counts_and_codes() -> None:
    result = runner.invoke(app, ["catalog"])
    assert result.exit_code == 0, result.output
    assert "record_types" in result.stdout
    assert "court.defaulter" in result.stdout
    assert "consumption_restricted" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def test_extra_folder_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "actions.yaml").write_text(
        "- code: lottery_ticket\n  label_zh: 购买彩票\n  label_en: Buy a lottery ticket\n", encoding="utf-8"
    )
    monkeypatch.setenv("XINYONG_CATALOG_EXTRA", str(extra))
    doc = json.loads(runner.invoke(app, ["catalog", "--json"]).stdout)
    assert "lottery_ticket" in {a["code"] for a in doc["actions"]}


def test_broken_extra_folder_is_one_error_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "actions.yaml").write_text("- code: air_ticket\n  label_zh: 飞机\n  label_en: Fly\n", encoding="utf-8")
    monkeypatch.setenv("XINYONG_CATALOG_EXTRA", str(extra))
    monkeypatch.setattr(sys, "argv", ["xinyong", "catalog", "--json"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: catalog ")
    assert "actions.yaml" in lines[0]
    assert "'air_ticket'" in lines[0]
    assert "'code'" in lines[0]
