from __future__ import annotations

import random
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opencc import OpenCC
from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from xinyong.text import (
    PREFECTURES,
    PROVINCES,
    clean_field,
    collapse_space,
    defuse_formula,
    looks_like_formula,
    normalize_brackets,
    normalize_name,
    normalize_org_name,
    org_name_core,
    pinyin_initials,
    pinyin_key,
    strip_control,
    to_halfwidth,
    to_simplified,
)


def test_full_width_letters_digits_and_space_become_half_width() -> None:
    assert to_halfwidth("ＡＢＣ　１２３（ｘ）") == "ABC 123(x)"


def test_half_width_leaves_other_compatibility_characters_alone() -> None:
    # NFKC on the whole string would turn these into 1, fi and 1⁄2.
    assert to_halfwidth("①ﬁ½。、") == "①ﬁ½。、"


def test_collapse_space_folds_ideographic_and_no_break_spaces() -> None:
    assert collapse_space("  张\u3000\u3000三 \u00a0 丰\t") == "张 三 丰"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("（2024）京0105执1234号", "(2024)京0105执1234号"),
        ("国市监信规〔2021〕3号", "国市监信规[2021]3号"),
        ("【通知】［附件］", "[通知][附件]"),
    ],
)
def test_brackets_are_normalised(raw: str, expected: str) -> None:
    assert normalize_brackets(raw) == expected


def test_traditional_becomes_simplified() -> None:
    assert to_simplified("華為技術有限公司") == "华为技术有限公司"
    assert to_simplified("张伟 Zhang") == "张伟 Zhang"


def test_strip_control_reports_removal_and_keeps_tab_and_newline() -> None:
    assert strip_control("a\x00b\x1bc\x85d\x7f") == ("abcd", True)
    cleaned = strip_control("第一行\n\t第二行")
    assert cleaned.text == "第一行\n\t第二行"
    assert cleaned.removed is False


def test_clean_field_trims_full_width_space_bom_and_controls() -> None:
    assert clean_field("\ufeff\u3000 北京某某科技有限公司\x00\r\n ") == "北京某某科技有限公司"
    # Interior full-width characters are kept as written.
    assert clean_field(" ＡＢＣ 公司 ") == "ＡＢＣ 公司"


def test_clean_field_composes_decomposed_characters() -> None:
    assert clean_field("Zha\u0301ng") == "Zh\u00e1ng"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("张 伟", "張偉"),
        ("买买提·艾力", "买买提•艾力"),
        ("买买提‧艾力", "买买提・艾力"),
        ("Ｊｏｈｎ　Ｓｍｉｔｈ", "john smith"),
        ("张\u200b伟", "张伟"),
    ],
)
def test_person_names_agree_after_normalisation(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_normalize_name_value() -> None:
    assert normalize_name(" 阿卜杜拉·Ｍａｘ ") == "阿卜杜拉MAX"


def test_limited_liability_spellings_agree() -> None:
    assert normalize_org_name("北京某某科技有限责任公司") == normalize_org_name("北京某某科技有限公司")
    assert normalize_org_name("北京某某科技有限责任公司") == "北京某某科技有限公司"


def test_joint_stock_stays_distinct_from_limited() -> None:
    joint_stock = normalize_org_name("某某科技股份有限公司")
    assert joint_stock == "某某科技股份有限公司"
    assert joint_stock != normalize_org_name("某某科技有限公司")
    assert normalize_org_name("某某科技股份公司") == joint_stock


def test_org_name_full_width_traditional_and_spaces() -> None:
    assert normalize_org_name("華為技術（北京） 有限責任公司") == "华为技术(北京)有限公司"
    assert normalize_org_name("ａｂｃ 科技有限公司") == "ABC科技有限公司"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("某某会计师事务所（特殊普通合伙）", "某某会计师事务所(特殊普通合伙)"),
        ("某某律师事务所普通合伙", "某某律师事务所(普通合伙)"),
        ("某某投资合伙企业【有限合伙】", "某某投资合伙企业[有限合伙]"),
        ("某某投资合伙企业(有限合伙)", "某某投资合伙企业(有限合伙)"),
        ("华为技术有限责任公司北京分公司", "华为技术有限公司北京分公司"),
    ],
)
def test_org_legal_forms_are_canonical(raw: str, expected: str) -> None:
    assert normalize_org_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("华为技术(北京)有限公司", "华为技术"),
        ("華為技術（北京）有限責任公司", "华为技术"),
        ("北京市某某科技有限公司", "某某科技"),
        ("北京某某科技有限公司", "某某科技"),
        ("广东省深圳市腾讯计算机系统有限公司", "腾讯计算机系统"),
        ("内蒙古伊利实业集团股份有限公司", "伊利实业集团"),
        ("阿里巴巴（中国）网络技术有限公司", "阿里巴巴网络技术"),
        ("某某投资合伙企业（有限合伙）", "某某投资"),
        ("华为技术有限公司北京分公司", "华为技术北京分公司"),
        # A region that is the trade name stays (fewer than three characters would be left).
        ("北京银行股份有限公司", "北京银行"),
        # 阿里地区 is a prefecture, but its short form 阿里 is not treated as a region.
        ("阿里巴巴集团控股有限公司", "阿里巴巴集团控股"),
        # A district after the city goes too, also one named like a prefecture (朝阳市 is in Liaoning).
        ("北京市昌平区承景信职业技能培训学校", "承景信职业技能培训学校"),
        ("北京市石景山区某某餐厅", "某某餐厅"),
        ("北京市朝阳区陈丹秀面馆", "陈丹秀面馆"),
        ("朝阳区陈丹秀面馆", "陈丹秀面馆"),
        ("北京市朝阳区顺发", "朝阳区顺发"),
        # Only right after a region, and only two or three characters before 区, 县 or 旗.
        ("北京五星红旗商贸有限公司", "五星红旗商贸"),
        ("北京市承景信社区服务中心", "承景信社区服务中心"),
        ("北京市和平社区服务中心", "和平社区服务中心"),
        ("北京中关村科技园区管理有限公司", "中关村科技园区管理"),
        ("北京市阳光小区物业管理有限公司", "阳光小区物业管理"),
    ],
)
def test_org_name_core(raw: str, expected: str) -> None:
    assert org_name_core(raw) == expected


def test_org_cores_agree_across_spellings() -> None:
    assert org_name_core("北京华为技术有限责任公司") == org_name_core("华为技术（北京）有限公司")


def test_region_lists_have_the_published_counts() -> None:
    assert len(PROVINCES) == 34
    assert len(PREFECTURES) == 333
    assert len(set(PREFECTURES)) == 333
    assert ("新疆维吾尔自治区", "新疆") in PROVINCES
    assert "深圳市" in PREFECTURES
    assert "延边朝鲜族自治州" in PREFECTURES


@pytest.mark.parametrize(
    ("raw", "key", "initials"),
    [
        ("张伟", "zhangwei", "zw"),
        ("張偉", "zhangwei", "zw"),
        ("Zhang Wei", "zhangwei", "zw"),
        ("ZHĀNG Wěi", "zhangwei", "zw"),
        ("Ｚｈａｎｇ　Ｗｅｉ", "zhangwei", "zw"),
        ("重庆", "chongqing", "cq"),
        ("吕布", "lvbu", "lb"),
        ("买买提·艾力", "maimaitiaili", "mmtal"),
        ("Zhang-Wei 2", "zhangwei", "zw"),
        ("", "", ""),
    ],
)
def test_pinyin_keys(raw: str, key: str, initials: str) -> None:
    assert pinyin_key(raw) == key
    assert pinyin_initials(raw) == initials


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "=cmd|'/c calc'!A1", "\t=1", "\r=1", " =1", "\tplain", "＝1", "-"],
)
def test_formula_cells_are_detected(cell: str) -> None:
    assert looks_like_formula(cell)
    assert defuse_formula(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["-12.5", "-12", "+3.5", "-1e5", "12-5", "张三", "", "a=b", "2024-01-10", "(2024)京0105执1234号"]
)
def test_ordinary_cells_are_not_formulas(cell: str) -> None:
    assert not looks_like_formula(cell)
    assert defuse_formula(cell) == cell


@pytest.mark.parametrize("name", ["ΐ", "ŉ", "ǰ", "Zoë ΐ"])
def test_upper_casing_leaves_a_canonical_name(name: str) -> None:
    """Upper-casing some letters gives a sequence that is no longer NFC (found by the property tests below:
    ΐ became Ι + two combining marks, and the second pass composed them)."""
    for normalise in (normalize_name, normalize_org_name):
        once = normalise(name)
        assert unicodedata.is_normalized("NFC", once)
        assert normalise(once) == once


@given(st.text(max_size=30))
def test_org_normalisation_is_idempotent(s: str) -> None:
    once = normalize_org_name(s)
    assert normalize_org_name(once) == once


@given(st.text(max_size=30))
def test_name_normalisation_is_idempotent(s: str) -> None:
    once = normalize_name(s)
    assert normalize_name(once) == once


# -- the fast paths give what the libraries give ------------------------------------------------------

# Basic and extension-A Han, CJK punctuation, compatibility ideographs, full-width forms and the start
# of extension B: each character on its own, as a name of one character would be converted.
_CJK = [
    chr(cp)
    for block in (
        range(0x3000, 0x3100),
        range(0x3400, 0x4DC0),
        range(0x4E00, 0xA000),
        range(0xF900, 0xFB00),
        range(0xFE30, 0xFF70),
        range(0x20000, 0x20800),
    )
    for cp in block
]


def _t2s_dictionary() -> tuple[list[str], list[str]]:
    from importlib import resources

    folder = resources.files("opencc") / "dictionary"
    keys: dict[str, list[str]] = {"TSCharacters.txt": [], "TSPhrases.txt": []}
    for name, found in keys.items():
        found.extend(line.split("\t")[0] for line in (folder / name).read_text(encoding="utf-8").splitlines())
    return keys["TSCharacters.txt"], keys["TSPhrases.txt"]


def test_to_simplified_equals_opencc_character_by_character() -> None:
    reference = OpenCC("t2s")
    differ = [ch for ch in _CJK if to_simplified(ch) != reference.convert(ch)]
    assert differ == []


def test_to_simplified_equals_opencc_on_mixed_strings_and_phrases() -> None:
    reference = OpenCC("t2s")
    characters, phrases = _t2s_dictionary()
    rng = random.Random(11)
    pool = [*characters, *rng.sample(_CJK, 400), *"有限公司北京李明文朝阳 -.,（）·ABC123", "\u3000"]
    samples = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 14))) for _ in range(3000)]
    # Every phrase alone, inside a company's name and after a surname (some begin with 有, 李, 文, 明).
    samples += [form.format(p) for p in phrases for form in ("{0}", "北京{0}有限公司", "李{0}", "{0} {0}")]
    differ = [(s, to_simplified(s), reference.convert(s)) for s in samples if to_simplified(s) != reference.convert(s)]
    assert differ == []


def _reference_pinyin_words(s: str) -> list[str]:
    # What `pinyin_key` gives, computed the slow way: pypinyin over the whole name at once.
    text = "".join(" " if ch in "·•‧・･∙⋅." else ch for ch in s)
    words: list[str] = []
    for chunk in lazy_pinyin(text):
        folded = unicodedata.normalize("NFKD", chunk).encode("ascii", "ignore").decode("ascii")
        words.extend(re.findall(r"[a-z]+", folded.lower()))
    return words


def test_pinyin_keys_equal_pypinyin_over_the_whole_name() -> None:
    rng = random.Random(5)
    han = [chr(cp) for cp in sorted(PINYIN_DICT) if 0x4E00 <= cp < 0xA000 and to_simplified(chr(cp)) == chr(cp)]
    phrases = sorted(p for p in PHRASES_DICT if to_simplified(p) == p)
    pool = [*rng.sample(han, 600), *rng.sample(phrases, 300), "Zhang", "Wei", " ", "·", "Lü", "2"]
    # Names of one to four pieces, many holding a phrase whose reading differs from its characters'
    # (重庆, 银行) and many holding none: both the phrase path and the character-by-character one.
    samples = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 4))) for _ in range(4000)]
    samples += ["重庆", "长大", "行长", "银行行长", "朝阳", "朝阳区", "单于", "曾经", "乐乐"]
    for s in samples:
        words = _reference_pinyin_words(s)
        assert (pinyin_key(s), pinyin_initials(s)) == ("".join(words), "".join(w[0] for w in words)), s


def test_the_ranges_skipped_for_format_characters_hold_none() -> None:
    from xinyong.text import _NO_FORMAT_CHARACTER

    ranges = re.findall(r"(.)-(.)", _NO_FORMAT_CHARACTER.pattern.strip("[]*"))
    assert len(ranges) == 5
    found = [
        f"U+{cp:04X}"
        for low, high in ranges
        for cp in range(ord(low), ord(high) + 1)
        if unicodedata.category(chr(cp)) == "Cf"
    ]
    assert found == []


def test_strip_control_removes_exactly_the_c0_and_c1_controls() -> None:
    text = "".join(chr(cp) for cp in range(0x200))
    kept = strip_control(text).text
    assert kept == "".join(ch for ch in text if not ((ord(ch) < 0x20 and ch not in "\t\n") or 0x7F <= ord(ch) <= 0x9F))
