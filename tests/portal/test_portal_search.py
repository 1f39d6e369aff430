"""The search index on its own: the same keys as `xinyong.text`, and ranking by how well a query matches."""

from __future__ import annotations

import pytest

from xinyong.portal.search import EXACT_CODE, EXACT_NAME, INFIX_NAME, SearchIndex, _Field, romanise
from xinyong.store.search import NameEntry
from xinyong.text import normalize_name, normalize_org_name, pinyin_initials, pinyin_key

ORG_ID = "91350500676532779B"
PERSON_ID = "11010519491231002X"


def entry(pk: int, kind: str, name: str, id_value: str | None = None) -> NameEntry:
    norm = normalize_org_name(name) if kind == "org" else normalize_name(name)
    return NameEntry(pk, f"S{pk:08d}", kind, id_value, name, norm)


@pytest.fixture
def index() -> SearchIndex:
    built = SearchIndex()
    built.add(
        [
            entry(1, "org", "北京腾育贸易有限公司", ORG_ID),
            entry(2, "org", "北京腾育贸易有限公司朝阳分公司"),
            entry(3, "org", "上海大腾育种科技有限公司"),
            entry(4, "person", "张伟", PERSON_ID),
            entry(5, "person", "张伟强"),
            entry(6, "org", "重庆银行股份有限公司"),
            entry(7, "org", "摩亿（北京）食品有限公司"),
        ]
    )
    return built


@pytest.mark.parametrize(
    "name",
    ["北京腾育贸易有限公司", "重庆银行股份有限公司", "買買提·艾力", "ＡＢＣ科技（北京）有限公司", "张伟", "Zhang Wei"],
)
def test_romanise_agrees_with_the_text_module(name: str) -> None:
    assert romanise(name) == (pinyin_key(name), pinyin_initials(name))


def test_a_field_maps_every_hit_to_its_entry_even_after_empty_values() -> None:
    field = _Field()
    field.extend([""])
    field.extend(["abc", ""])
    field.extend(["xabc"])
    ranks: dict[int, int] = {}
    field.scan("abc", 3, 2, 1, ranks)
    assert ranks == {1: 3, 3: 1}


def test_exact_names_rank_above_prefixes_and_infixes(index: SearchIndex) -> None:
    found = index.find("北京腾育贸易有限公司")
    assert found.kind == "name"
    assert [h.entry.pk for h in found.hits] == [1, 2]
    assert found.hits[0].rank == EXACT_NAME
    infix = index.find("腾育")
    assert [h.entry.pk for h in infix.hits][:2] == [1, 2]
    assert {h.entry.pk for h in infix.hits} == {1, 2, 3}
    assert min(h.rank for h in infix.hits) == INFIX_NAME


def test_full_width_traditional_and_legal_form_variants_find_the_same_company(index: SearchIndex) -> None:
    for query in ("北京腾育贸易有限责任公司", "騰育貿易", "腾育贸易（北京）有限公司", "　腾育贸易　"):
        assert index.find(query).hits[0].entry.pk == 1, query


def test_pinyin_finds_by_syllables_and_by_initials(index: SearchIndex) -> None:
    assert index.find("tengyu maoyi").kind == "pinyin"
    assert index.find("tengyu maoyi").hits[0].entry.pk == 1
    assert [h.entry.pk for h in index.find("ＺＨＡＮＧ ＷＥＩ").hits][:2] == [4, 5]
    assert index.find("chongqing yinhang").hits[0].entry.pk == 6  # phrase readings: 重庆 is chong, 银行 hang
    assert index.find("zw").hits[0].entry.pk == 4
    assert index.find("tymy").hits[0].entry.pk == 1
    assert index.find("moyi shipin").hits[0].entry.pk == 7  # the trade name without the bracketed region


def test_codes_are_found_whole_and_people_never_by_part_of_their_number(index: SearchIndex) -> None:
    found = index.find(ORG_ID.lower())
    assert (found.kind, [h.entry.pk for h in found.hits], found.hits[0].rank) == ("code", [1], EXACT_CODE)
    assert [h.entry.pk for h in index.find("S00000004").hits] == [4]
    assert [h.entry.pk for h in index.find(PERSON_ID).hits] == [4]
    assert index.find(PERSON_ID[:12]).hits == ()
    assert [h.entry.pk for h in index.find(ORG_ID[:10]).hits] == [1]


def test_empty_and_overlong_queries(index: SearchIndex) -> None:
    assert index.find("   ").kind == "empty"
    assert len(index.find("腾" * 500).query) == 100
