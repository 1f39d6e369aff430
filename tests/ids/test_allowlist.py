"""The operator allow-list admits named codes only; it is never a lenient mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinyong.errors import ConfigError
from xinyong.ids import AllowList, check, check_kind, load_from_home

PILOT = ["91350100M0001TGQXM", "91350211M0000XUF46"]


@pytest.fixture
def pilot_list(tmp_path: Path) -> AllowList:
    path = tmp_path / "allowlist.txt"
    path.write_text(
        "# pilot-era Fujian codes whose check character is off\n"
        "91350100M0001TGQXM\n"
        "\n"
        "9135 0211 M000 0XUF46   # Xiamen\n",
        encoding="utf-8",
    )
    return AllowList.load(path)


def test_load_parses_comments_blank_lines_and_spacing(pilot_list: AllowList) -> None:
    assert pilot_list.codes == frozenset(PILOT)


@pytest.mark.parametrize("code", PILOT)
def test_pilot_codes_are_invalid_without_the_list(code: str) -> None:
    result = check(code)
    assert (result.valid, result.kind, result.allowlisted) == (False, "uscc", False)
    assert result.reason is not None
    assert result.reason.startswith("wrong check character at position 18")


@pytest.mark.parametrize("code", PILOT)
def test_pilot_codes_are_valid_and_allowlisted_with_it(code: str, pilot_list: AllowList) -> None:
    result = check(code.lower(), pilot_list)
    assert (result.valid, result.kind, result.normalized, result.reason, result.allowlisted) == (
        True,
        "uscc",
        code,
        None,
        True,
    )
    assert result.as_dict()["allowlisted"] is True


def test_an_unlisted_code_with_a_wrong_check_stays_invalid(pilot_list: AllowList) -> None:
    result = check("91350500676532779C", pilot_list)
    assert result.valid is False
    assert result.reason == "wrong check character at position 18: expected B, found C"


def test_a_valid_code_is_not_marked_allowlisted(pilot_list: AllowList) -> None:
    result = check("91350500676532779B", pilot_list)
    assert (result.valid, result.allowlisted) == (True, False)
    assert "allowlisted" not in result.as_dict()


def test_check_kind_honours_the_list(pilot_list: AllowList) -> None:
    assert check_kind(PILOT[0], "uscc", pilot_list).allowlisted is True
    assert check_kind(PILOT[0], "uscc").valid is False


def test_malformed_entry_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.txt"
    path.write_text("91350100M0001TGQXM\n91350100M0001TGQ\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"allowlist\.txt line 2: '91350100M0001TGQ'"):
        AllowList.load(path)


def test_load_from_home_is_none_without_a_file(tmp_path: Path) -> None:
    assert load_from_home(tmp_path) is None
