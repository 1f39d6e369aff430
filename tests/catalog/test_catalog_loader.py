"""A deployment's extra catalog folder: additions load; a broken entry names its file, entry and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.catalog import load_catalog
from xinyong.errors import CatalogError


def write(folder: Path, name: str, entries: Any) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def measure(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": "no_yacht",
        "label_zh": "禁止购买游艇",
        "label_en": "No yachts",
        "list": "consumption_restricted",
        "actions": ["luxury_travel"],
        "effect": "deny",
        "implementing_body": "海事管理机构",
        "implementing_body_en": "Maritime authorities",
        "legal_basis": "spc.consumption_restriction.art3",
        "reaches_legal_rep": True,
    }
    entry.update(overrides)
    return entry


def broken(folder: Path) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    return caught.value


def assert_names(error: CatalogError, file: str, entry: str, field: str) -> None:
    """The error carries, and its one-line message names, the file, the entry and the field."""
    assert error.file.endswith(file)
    assert (error.entry, error.catalog_field) == (entry, field)
    line = error.one_line()
    assert file in line
    assert repr(entry) in line
    assert repr(field) in line
    assert "\n" not in line


def test_an_extra_folder_adds_entries(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure()])
    write(
        tmp_path,
        "agencies.yaml",
        [
            {
                "code": "court.110108",
                "kind": "court",
                "name_zh": "北京市海淀区人民法院",
                "name_en": "Haidian court",
            }
        ],
    )
    cat = load_catalog(tmp_path)
    assert cat.measures["no_yacht"].list == "consumption_restricted"
    assert "court.110108" in cat.agencies
    assert "no_air_travel" in cat.measures  # the shipped entries are all still there
    assert [m.code for m in cat.measures_for("consumption_restricted", "luxury_travel")] == [
        "no_luxury_travel",
        "no_yacht",
    ]


def test_bad_field_type(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(reaches_legal_rep="perhaps")])
    error = broken(tmp_path)
    assert_names(error, "measures.yaml", "no_yacht", "reaches_legal_rep")
    assert "'perhaps'" in error.reason


def test_bad_value_in_a_nested_field(tmp_path: Path) -> None:
    write(tmp_path, "lists.yaml", [_list(default_months="two years")])
    assert_names(broken(tmp_path), "lists.yaml", "shame", "default_months")


def test_unknown_list_in_a_measure(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(list="naughty")])
    error = broken(tmp_path)
    assert_names(error, "measures.yaml", "no_yacht", "list")
    assert error.reason == "unknown list 'naughty'"


def test_unknown_action_in_a_measure(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(actions=["luxury_travel", "karaoke"])])
    assert_names(broken(tmp_path), "measures.yaml", "no_yacht", "actions[1]")


def test_unknown_legal_basis(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(legal_basis="spc.imaginary.art99")])
    error = broken(tmp_path)
    assert_names(error, "measures.yaml", "no_yacht", "legal_basis")
    assert "spc.imaginary.art99" in error.reason


def test_unknown_legal_basis_of_a_list(tmp_path: Path) -> None:
    write(tmp_path, "lists.yaml", [_list(legal_basis="nowhere.art1")])
    assert_names(broken(tmp_path), "lists.yaml", "shame", "legal_basis")


def test_duplicate_code_within_the_extra_folder(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(), measure(label_en="No yachts again")])
    error = broken(tmp_path)
    assert_names(error, "measures.yaml", "no_yacht", "code")
    assert "duplicate" in error.reason


def test_an_extra_folder_may_not_replace_a_shipped_entry(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(code="no_air_travel", effect="review")])
    error = broken(tmp_path)
    assert_names(error, "measures.yaml", "no_air_travel", "code")
    assert "shipped" in error.reason


def test_missing_required_field(tmp_path: Path) -> None:
    entry = measure()
    del entry["effect"]
    write(tmp_path, "measures.yaml", [entry])
    error = broken(tmp_path)
    assert_names(error, "measures.yaml", "no_yacht", "effect")
    assert error.reason == "Field required"


def test_missing_code_names_the_entry_by_position(tmp_path: Path) -> None:
    entry = measure()
    del entry["code"]
    write(tmp_path, "measures.yaml", [measure(code="fine_one"), entry])
    assert_names(broken(tmp_path), "measures.yaml", "#2", "code")


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(efect="deny")])
    assert_names(broken(tmp_path), "measures.yaml", "no_yacht", "efect")


def test_unconfirmed_entry_without_a_note(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(confirmed=False)])
    error = broken(tmp_path)
    assert_names(error, "measures.yaml", "no_yacht", "(entry)")
    assert "note" in error.reason


def test_incentive_list_may_not_deny(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", [measure(list="red_list", reaches_legal_rep=False)])
    assert_names(broken(tmp_path), "measures.yaml", "no_yacht", "effect")


def test_publicity_period_upside_down(tmp_path: Path) -> None:
    write(
        tmp_path,
        "record_types.yaml",
        [_record_type(publicity={"serious": {"min_months": 36, "max_months": 12}})],
    )
    error = broken(tmp_path)
    assert_names(error, "record_types.yaml", "mee.emission", "publicity.serious")
    assert "max_months 12 is below min_months 36" in error.reason


def test_record_type_on_an_unknown_list(tmp_path: Path) -> None:
    write(tmp_path, "record_types.yaml", [_record_type(places_on="smog_list")])
    assert_names(broken(tmp_path), "record_types.yaml", "mee.emission", "places_on")


def test_record_type_for_an_unknown_agency_kind(tmp_path: Path) -> None:
    write(tmp_path, "record_types.yaml", [_record_type(agency_kinds=["mee", "police"])])
    assert_names(broken(tmp_path), "record_types.yaml", "mee.emission", "agency_kinds[1]")


def test_list_condition_on_a_value_outside_the_vocabulary(tmp_path: Path) -> None:
    write(
        tmp_path,
        "record_types.yaml",
        [_record_type(places_on="red_list", required_fields=["grade"], list_when={"grade": ["A+"]})],
    )
    error = broken(tmp_path)
    assert_names(error, "record_types.yaml", "mee.emission", "list_when.grade")
    assert "'A+'" in error.reason


def test_source_for_an_unknown_agency(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", [_source(agency="court.999999")])
    assert_names(broken(tmp_path), "sources.yaml", "court.999999", "agency")


def test_source_column_onto_a_field_that_is_not_canonical(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", [_source(columns={**_COLUMNS, "备注": "remarks"})])
    error = broken(tmp_path)
    assert_names(error, "sources.yaml", "mee.110000", "columns.备注")
    assert "'remarks' is not a canonical field" in error.reason


def test_source_value_onto_a_record_type_the_agency_may_not_send(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", [_source(values={"record_type": {"失信": "court.defaulter"}})])
    error = broken(tmp_path)
    assert_names(error, "sources.yaml", "mee.110000", "values.record_type.失信")
    assert "a mee agency may not send 'court.defaulter'" in error.reason


def test_source_that_misses_a_required_field(tmp_path: Path) -> None:
    columns = {k: v for k, v in _COLUMNS.items() if v != "decided_on"}
    write(tmp_path, "sources.yaml", [_source(columns=columns)])
    error = broken(tmp_path)
    assert_names(error, "sources.yaml", "mee.110000", "columns")
    assert "decided_on" in error.reason


def test_source_with_an_unknown_encoding(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", [_source(encoding="klingon-8")])
    assert_names(broken(tmp_path), "sources.yaml", "mee.110000", "encoding")


def test_unknown_file_name(tmp_path: Path) -> None:
    write(tmp_path, "measure.yaml", [measure()])
    error = broken(tmp_path)
    assert error.file.endswith("measure.yaml")
    assert "unknown catalog file" in error.reason


def test_file_that_is_not_a_list(tmp_path: Path) -> None:
    write(tmp_path, "measures.yaml", {"no_yacht": measure()})
    assert "YAML list" in broken(tmp_path).reason


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "measures.yaml").write_text("- code: a\n  list: [unclosed\n", encoding="utf-8")
    error = broken(tmp_path)
    assert error.file.endswith("measures.yaml")
    assert "line" in error.reason


def test_missing_extra_folder(tmp_path: Path) -> None:
    assert "does not exist" in broken(tmp_path / "nope").reason


# --- tiny entries -------------------------------------------------------------------------------------

_COLUMNS = {
    "编号": "record_id",
    "类型": "record_type",
    "类别": "subject_kind",
    "名称": "subject_name",
    "日期": "decided_on",
}


def _list(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": "shame",
        "label_zh": "曝光名单",
        "label_en": "Shame list",
        "legal_basis": "gov.credit_constraints",
    }
    entry.update(overrides)
    return entry


def _record_type(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": "mee.emission",
        "label_zh": "超标排放",
        "label_en": "Emission over the limit",
        "agency_kinds": ["mee"],
        "disclosure": "public",
        "person_disclosure": "shared",
        "legal_basis": "gov.credit_constraints",
        "objection_days": 20,
    }
    entry.update(overrides)
    return entry


def _source(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "agency": "mee.110000",
        "label_zh": "生态环境数据",
        "label_en": "Environment feed",
        "format": "csv",
        "encoding": "utf-8-sig",
        "columns": _COLUMNS,
    }
    entry.update(overrides)
    return entry
