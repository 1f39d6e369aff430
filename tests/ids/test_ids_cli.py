"""`xinyong ids check`: one JSON document with --json, a readable line otherwise, exit 0 either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XINYONG_NOW", "2025-06-01")
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def test_valid_uscc_json() -> None:
    result = runner.invoke(app, ["ids", "check", "91350500676532779b", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "valid": True,
        "kind": "uscc",
        "normalized": "91350500676532779B",
        "reason": None,
    }


def test_invalid_code_still_exits_0() -> None:
    result = runner.invoke(app, ["ids", "check", "110105194912310021", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "valid": False,
        "kind": "resident_id",
        "normalized": "110105194912310021",
        "reason": "wrong check character at position 18: expected X, found 1",
    }


def test_future_birth_date_follows_xinyong_now(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "110105202506028667"  # valid, born 2025-06-02
    before = json.loads(runner.invoke(app, ["ids", "check", code, "--json"]).stdout)
    assert before["reason"] == "birth date 2025-06-02 is in the future (today is 2025-06-01)"
    monkeypatch.setenv("XINYONG_NOW", "2025-06-02")
    after = json.loads(runner.invoke(app, ["ids", "check", code, "--json"]).stdout)
    assert (after["valid"], after["reason"]) == (True, None)


def test_unknown_shape_has_null_kind() -> None:
    result = runner.invoke(app, ["ids", "check", "12345", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "valid": False,
        "kind": None,
        "normalized": None,
        "reason": "not an 18-character USCC or resident ID (found 5 characters)",
    }


def test_readable_line() -> None:
    ok = runner.invoke(app, ["ids", "check", "11010519491231002X"])
    assert (ok.exit_code, ok.stdout) == (0, "valid resident ID 11010519491231002X\n")
    bad = runner.invoke(app, ["ids", "check", "91350100M0001TGQXM"])
    assert bad.stdout == (
        "invalid USCC 91350100M0001TGQXM: wrong check character at position 18: expected 1, found M\n"
    )


def test_allow_list_in_home_admits_pilot_codes(home: Path) -> None:
    (home / "allowlist.txt").write_text("91350100M0001TGQXM  # Fuzhou pilot\n", encoding="utf-8")
    result = runner.invoke(app, ["ids", "check", "91350100M0001TGQXM", "--json"])
    assert json.loads(result.stdout) == {
        "valid": True,
        "kind": "uscc",
        "normalized": "91350100M0001TGQXM",
        "reason": None,
        "allowlisted": True,
    }
    line = runner.invoke(app, ["ids", "check", "91350100M0001TGQXM"]).stdout
    assert line == "valid USCC 91350100M0001TGQXM (admitted by the operator allow-list)\n"
    other = runner.invoke(app, ["ids", "check", "91350211M0000XUF46", "--json"])
    assert json.loads(other.stdout)["valid"] is False
