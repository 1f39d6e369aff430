"""The shipped catalog: it loads, carries every CONTRACT §5 code, and its measures meet the §5 minimums."""

from __future__ import annotations

import re

import pytest
from catalog_contract import ACTIONS, AGENCIES, CONSUMPTION, LISTS, MATRIX, RECORD_TYPES
from pydantic import ValidationError

from xinyong.catalog import EFFECT_STRENGTH, Catalog, default_catalog, load_catalog
from xinyong.errors import InvalidInput

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def effects_of(cat: Catalog, list_code: str) -> dict[str, set[str]]:
    """Actions by effect for one list, computed from its measures."""
    out: dict[str, set[str]] = {"deny": set(), "review": set(), "expedite": set()}
    for measure in cat.measures_for_list(list_code):
        out[measure.effect].update(measure.actions)
    return out


def test_shipped_catalog_loads_with_every_part(cat: Catalog) -> None:
    assert len(cat.agencies) == 5
    assert len(cat.record_types) == 10
    assert len(cat.lists) == 7
    assert len(cat.actions) == 19
    assert set(cat.sources) == {"court.110105", "samr.110000", "tax.110000"}


def test_default_catalog_is_loaded_once(cat: Catalog) -> None:
    assert default_catalog() is default_catalog()
    assert default_catalog() == cat


def test_every_contract_agency_exists_with_its_kind(cat: Catalog) -> None:
    assert {code: cat.agencies[code].kind for code in AGENCIES} == AGENCIES


@pytest.mark.parametrize("code", sorted(RECORD_TYPES))
def test_every_contract_record_type_exists_with_its_kinds_and_list(cat: Catalog, code: str) -> None:
    kinds, list_code = RECORD_TYPES[code]
    record_type = cat.record_types[code]
    assert set(record_type.agency_kinds) == kinds
    assert record_type.places_on == list_code
    assert record_type.legal_basis in cat.legal_bases


def test_every_contract_list_and_action_exists(cat: Catalog) -> None:
    assert set(cat.lists) >= LISTS
    assert set(cat.actions) >= ACTIONS
    assert len(ACTIONS) == 19


@pytest.mark.parametrize("list_code", sorted(MATRIX))
def test_each_list_meets_the_contract_minimum(cat: Catalog, list_code: str) -> None:
    actual = effects_of(cat, list_code)
    for effect, actions in MATRIX[list_code].items():
        missing = actions - actual[effect]
        # A stronger effect on the same action also satisfies the minimum.
        missing = {a for a in missing if not any(a in actual[e] for e in _stronger(effect))}
        assert not missing, f"{list_code} lacks {effect} on {sorted(missing)}"


@pytest.mark.parametrize("list_code", sorted(MATRIX))
def test_shipped_measures_are_exactly_the_contract_table(cat: Catalog, list_code: str) -> None:
    assert effects_of(cat, list_code) == MATRIX[list_code]


def _stronger(effect: str) -> list[str]:
    return [e for e, s in EFFECT_STRENGTH.items() if s > EFFECT_STRENGTH[effect] and e != "allow"]


def test_contract_example_measure_is_named_as_in_section_4(cat: Catalog) -> None:
    measure = cat.measures["no_air_travel"]
    assert measure.list == "consumption_restricted"
    assert measure.actions == ("air_ticket",)
    assert measure.effect == "deny"
    assert measure.legal_basis == "spc.consumption_restriction.art3"


@pytest.mark.parametrize("list_code", ["consumption_restricted", "defaulter"])
def test_consumption_measures_reach_the_legal_representative(cat: Catalog, list_code: str) -> None:
    assert cat.lists[list_code].reaches_legal_rep is True
    for action in CONSUMPTION:
        measures = cat.measures_for(list_code, action)
        assert measures, f"{list_code} has no measure on {action}"
        assert all(m.reaches_legal_rep for m in measures), action


def test_only_consumption_measures_reach_the_legal_representative(cat: Catalog) -> None:
    reaching = {m.code for m in cat.measures.values() if m.reaches_legal_rep}
    assert all(set(cat.measures[code].actions) <= CONSUMPTION for code in reaching)
    assert len(reaching) == 22  # 11 bans on each of the two court lists


def test_defaulter_consumption_bans_rest_on_the_mandatory_restriction(cat: Catalog) -> None:
    measure = cat.measures_for("defaulter", "air_ticket")[0]
    assert measure.legal_basis == "spc.consumption_restriction.art1"
    assert "spc.consumption_restriction.art3" in measure.further_bases
    assert cat.measures_for("defaulter", "gov_procurement_bid")[0].legal_basis == "spc.defaulter_list.art8"


def test_measures_for_action_spans_lists(cat: Catalog) -> None:
    codes = {m.code for m in cat.measures_for_action("air_ticket")}
    assert codes == {"no_air_travel", "defaulter_no_air_travel"}
    lists = {m.list for m in cat.measures_for_action("honor_award")}
    assert lists == {"defaulter", "serious_dishonesty", "abnormal_operations", "tax_major_violation"}


def test_red_list_is_an_incentive_that_only_expedites(cat: Catalog) -> None:
    assert cat.lists["red_list"].incentive is True
    assert {m.effect for m in cat.measures_for_list("red_list")} == {"expedite"}
    assert all(not cat.lists[code].incentive for code in LISTS - {"red_list"})


@pytest.mark.parametrize(
    ("record_type", "fields", "expected"),
    [
        ("tax.rating", {"grade": "A"}, "red_list"),
        ("tax.rating", {"grade": "B"}, None),
        ("tax.rating", {"grade": "D"}, None),
        ("tax.rating", {}, None),
        ("court.defaulter", {}, "defaulter"),
        ("court.consumption_restriction", {}, "consumption_restricted"),
        ("market.serious_illegal", {}, "serious_dishonesty"),
        ("admin.penalty", {"grade": "A"}, None),
        ("inspection.result", {"result": "non_compliant"}, None),
    ],
)
def test_list_for(cat: Catalog, record_type: str, fields: dict[str, str], expected: str | None) -> None:
    found = cat.list_for(record_type, **fields)
    assert (found.code if found else None) == expected


def test_list_for_an_unknown_record_type_is_a_user_error(cat: Catalog) -> None:
    with pytest.raises(InvalidInput, match=r"unknown record type 'court\.nope'"):
        cat.list_for("court.nope")


def test_record_types_an_agency_may_send(cat: Catalog) -> None:
    samr = {rt.code for rt in cat.record_types_for("samr.110000")}
    assert samr == {
        "admin.penalty",
        "admin.license",
        "market.abnormal_operations",
        "market.serious_illegal",
        "inspection.result",
    }
    court = {rt.code for rt in cat.record_types_for("court.110105")}
    assert {"court.defaulter", "court.consumption_restriction"} <= court
    assert "tax.rating" not in court


def test_required_fields_of_rating_and_inspection(cat: Catalog) -> None:
    assert cat.record_types["tax.rating"].required_fields == ("grade",)
    assert cat.record_types["inspection.result"].required_fields == ("result",)
    assert cat.record_types["tax.rating"].list_when == {"grade": ("A",)}


def test_penalty_publicity_follows_the_2025_regime(cat: Catalog) -> None:
    penalty = cat.record_types["admin.penalty"]
    assert penalty.publicity is not None
    assert {k: (p.min_months, p.max_months) for k, p in penalty.publicity.items()} == {
        "minor": (0, 3),
        "general": (3, 12),
        "serious": (12, 36),
    }
    assert cat.legal_bases[penalty.publicity_basis or ""].doc_no == "国办发〔2025〕22号"
    assert penalty.repair is not None
    assert penalty.repair.requires_fulfilment
    assert penalty.repair.requires_commitment


def test_listing_periods(cat: Catalog) -> None:
    assert cat.lists["defaulter"].default_months == 24
    assert cat.lists["consumption_restricted"].default_months is None
    assert cat.lists["serious_dishonesty"].default_months == 36
    assert cat.lists["red_list"].default_months == 12
    serious = cat.record_types["market.serious_illegal"].repair
    assert serious is not None
    assert serious.early_removal_after_months == 12
    assert cat.lists["serious_dishonesty"].notice_days > 0
    assert cat.lists["serious_dishonesty"].confirmed is False


def test_persons_are_published_only_where_a_rule_says_so(cat: Catalog) -> None:
    published = {code for code, rt in cat.record_types.items() if rt.person_disclosure == "public"}
    assert published == {"court.defaulter"}  # SPC Art. 6


def test_objection_clocks(cat: Catalog) -> None:
    court = cat.record_types["court.defaulter"]
    assert (court.objection_days, court.objection_day_kind, court.objection_basis) == (
        15,
        "calendar",
        "spc.defaulter_list.art11",
    )
    samr = cat.record_types["market.serious_illegal"]
    assert (samr.objection_days, samr.objection_day_kind) == (20, "working")


def test_legal_bases_carry_real_document_numbers(cat: Catalog) -> None:
    assert cat.legal_bases["spc.defaulter_list.art1"].doc_no == "法释〔2017〕7号"
    assert str(cat.legal_bases["spc.defaulter_list.art1"].in_force_from) == "2017-05-01"
    assert cat.legal_bases["gov.credit_constraints.sec8"].doc_no == "国办发〔2020〕49号"
    assert cat.legal_bases["ndrc.order58"].in_force_from is not None


def test_every_unconfirmed_entry_says_why(cat: Catalog) -> None:
    entries: list[tuple[str, bool, str | None]] = []
    for part in (cat.legal_bases, cat.record_types, cat.lists, cat.measures):
        entries += [(e.code, e.confirmed, e.note) for e in part.values()]
    for rt in cat.record_types.values():
        if rt.repair is not None:
            entries.append((f"{rt.code}.repair", rt.repair.confirmed, rt.repair.note))
    unconfirmed = [(code, note) for code, confirmed, note in entries if not confirmed]
    assert len(unconfirmed) > 10
    silent = [code for code, note in unconfirmed if "unconfirmed" not in (note or "").lower()]
    assert silent == []


def test_every_entry_has_chinese_and_english_labels(cat: Catalog) -> None:
    pairs: list[tuple[str, str, str]] = []
    pairs += [(a.code, a.name_zh, a.name_en) for a in cat.agencies.values()]
    pairs += [(b.code, b.title_zh, b.title_en) for b in cat.legal_bases.values()]
    for part in (cat.record_types, cat.lists, cat.measures, cat.actions):
        pairs += [(e.code, e.label_zh, e.label_en) for e in part.values()]
    pairs += [(s.agency, s.label_zh, s.label_en) for s in cat.sources.values()]
    for code, zh, en in pairs:
        assert CJK.search(zh), f"{code}: Chinese label has no Chinese"
        assert not CJK.search(en), f"{code}: English label has Chinese"


def test_sources_map_agency_feeds_as_designed(cat: Catalog) -> None:
    court = cat.sources["court.110105"]
    assert (court.format, court.encoding) == ("csv", "gb18030")
    assert court.columns["案号"] == "decision_no"
    assert court.columns["立案日期"] == court.columns["决定日期"] == "decided_on"
    assert court.values["record_type"] == {
        "失信被执行人": "court.defaulter",
        "限制消费": "court.consumption_restriction",
    }
    assert court.values["subject_kind"] == {"单位": "org", "个人": "person"}
    samr = cat.sources["samr.110000"]
    assert (samr.format, samr.encoding, samr.constants) == ("xlsx", None, {"subject_kind": "org"})
    assert samr.values["result"]["未发现"] == "not_located"
    assert samr.values["severity"] == {"轻微": "minor", "一般": "general", "严重": "serious"}
    tax = cat.sources["tax.110000"]
    assert tax.format == "jsonl"
    assert tax.columns["level"] == "grade"
    assert tax.values["record_type"]["credit_rating"] == "tax.rating"
    assert "mee.110000" not in cat.sources
    assert "procurement.110000" not in cat.sources


def test_entries_are_frozen(cat: Catalog) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        cat.measures["no_air_travel"].effect = "review"  # type: ignore[misc]


def test_the_shared_catalog_cannot_be_edited_in_place(cat: Catalog) -> None:
    with pytest.raises(TypeError):
        cat.measures["no_air_travel"] = cat.measures["no_g_train"]  # type: ignore[index]
    assert cat.measures["no_air_travel"].actions == ("air_ticket",)
