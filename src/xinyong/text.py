"""Normalisation of Chinese text for ingestion, record linkage, portal search and safe export.

Comparison keys (`normalize_name`, `normalize_org_name`, `org_name_core`, `pinyin_key`) are for
matching only; what an agency wrote is stored as written, after `clean_field`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources
from typing import Final, NamedTuple

from opencc import OpenCC
from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT, RE_HANS
from pypinyin.seg.simpleseg import simple_seg

# Full-width ASCII (U+FF01-FF5E), the full-width white parentheses and the full-width signs map to
# their half-width forms under NFKC. NFKC is applied per character, and only to these, because on a
# whole string it would also rewrite circled digits, ligatures, fractions and the like.
# U+FFE3 (full-width macron) is left alone: its NFKC form is a space plus a combining mark.
_HALFWIDTH = {
    cp: unicodedata.normalize("NFKC", chr(cp))
    for cp in (*range(0xFF01, 0xFF61), 0xFFE0, 0xFFE1, 0xFFE2, 0xFFE4, 0xFFE5, 0xFFE6)
}
_HALFWIDTH[0x3000] = " "  # ideographic space
# Whether a string holds anything `_HALFWIDTH` rewrites: a search in C is far cheaper than a translation.
_HAS_FULLWIDTH = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_HALFWIDTH)) + "]")

_BRACKETS = str.maketrans("（）【】〔〕［］〖〗", "()[][][][]")
_HAS_BRACKET = re.compile("[（）【】〔〕［］〖〗]")

# Middle-dot look-alikes that separate the parts of transliterated and minority names
# (买买提·艾力); agencies type any of them, or a full stop, so comparison drops them all.
_NAME_DOTS = "·•‧・･∙⋅."


def to_halfwidth(s: str) -> str:
    """Full-width Latin letters, digits, punctuation and the ideographic space as their half-width forms."""
    return s.translate(_HALFWIDTH) if _HAS_FULLWIDTH.search(s) else s


def collapse_space(s: str) -> str:
    """Every run of whitespace (ideographic and no-break spaces included) as one space, trimmed."""
    return " ".join(s.split())


def normalize_brackets(s: str) -> str:
    """Chinese round brackets as ( ) and the square and lenticular ones as [ ]."""
    return s.translate(_BRACKETS) if _HAS_BRACKET.search(s) else s


@cache
def _t2s() -> OpenCC:
    # Building the converter loads its dictionaries; once per process is enough.
    return OpenCC("t2s")


class _T2SIndex(NamedTuple):
    """OpenCC's t2s dictionaries as lookups: single characters, and the phrases by their first character."""

    characters: dict[int, str]
    # Whether a string holds a character of the table: a regular expression over those of the basic
    # plane (one covering the astral ones too would be tested character by character), and a set.
    has_character: re.Pattern[str]
    astral: frozenset[str]
    # Any phrase, longest first, grouped by first character so that the search skips along quickly.
    has_phrase: re.Pattern[str]


def _character_class(chars: list[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(ch) for ch in sorted(chars)) + "]")


@cache
def _t2s_index() -> _T2SIndex:
    # Read from the files OpenCC itself converts with, in the order its t2s configuration groups them.
    # Within a group OpenCC converts the longest phrase found first and each character at most once, so
    # a string in which no phrase occurs comes out character by character; where a key maps to several
    # characters OpenCC takes the first, and an earlier dictionary of the group wins over a later one.
    package = resources.files("opencc")
    config = json.loads((package / "config" / "t2s.json").read_text(encoding="utf-8"))
    (step,) = config["conversion_chain"]
    characters: dict[int, str] = {}
    phrases: dict[str, list[str]] = {}
    for entry in step["dict"]["dicts"]:
        for line in (package / "dictionary" / entry["file"]).read_text(encoding="utf-8").splitlines():
            key, value = line.strip().split("\t")
            if len(key) == 1:
                characters.setdefault(ord(key), value.split(" ")[0])
            else:
                phrases.setdefault(key[0], []).append(key)
    by_first = (
        re.escape(first) + "(?:" + "|".join(re.escape(key[1:]) for key in sorted(keys, key=len, reverse=True)) + ")"
        for first, keys in sorted(phrases.items())
    )
    return _T2SIndex(
        characters=characters,
        has_character=_character_class([chr(cp) for cp in characters if cp <= 0xFFFF]),
        astral=frozenset(chr(cp) for cp in characters if cp > 0xFFFF),
        has_phrase=re.compile("|".join(by_first)),
    )


def _holds_t2s_character(s: str, index: _T2SIndex) -> bool:
    if index.has_character.search(s) is not None:
        return True
    return max(s) > "\uffff" and not index.astral.isdisjoint(s)


@lru_cache(maxsize=65536)
def _t2s_convert(s: str) -> str:
    converted: str = _t2s().convert(s)
    return converted


def to_simplified(s: str) -> str:
    """Traditional characters as simplified ones (OpenCC t2s).

    Only a string holding one of OpenCC's multi-character phrases goes through OpenCC itself; any
    other is converted character by character from OpenCC's own table, with the same result.
    """
    if s.isascii():
        return s
    index = _t2s_index()
    if index.has_phrase.search(s) is not None:
        return _t2s_convert(s)
    return s.translate(index.characters) if _holds_t2s_character(s, index) else s


class Cleaned(NamedTuple):
    """Text with control characters taken out, and whether there were any."""

    text: str
    removed: bool


def _is_control(ch: str) -> bool:
    cp = ord(ch)
    return (cp < 0x20 and ch not in "\t\n") or 0x7F <= cp <= 0x9F


_CONTROL = re.compile("[" + "".join(re.escape(chr(cp)) for cp in range(0xA0) if _is_control(chr(cp))) + "]")


def strip_control(s: str) -> Cleaned:
    """The text without C0 and C1 control characters (tab and newline are kept)."""
    if _CONTROL.search(s) is None:
        return Cleaned(s, False)
    return Cleaned(_CONTROL.sub("", s), True)


# Byte-order marks and zero-width characters ride along when fields are pasted from web pages;
# they are invisible, so an agency cannot see that its value differs from another's.
_INVISIBLE_EDGES = "\ufeff\u200b\u200c\u200d\u2060"


def clean_field(s: str) -> str:
    """A feed value as stored: canonical Unicode, no control characters, no surrounding blanks."""
    text = unicodedata.normalize("NFC", strip_control(s).text)
    return text.strip().strip(_INVISIBLE_EDGES).strip()


# Ranges with no format character (category Cf) in them, which covers nearly every name: Latin, CJK
# punctuation, Han (with the astral extensions), kana, hangul and the full-width forms. A string with
# anything outside them is filtered character by character.
_NO_FORMAT_CHARACTER = re.compile("[\x00-\xac\xae-\u05ff\u2070-\ufefe\uff00-\ufff8\U00020000-\U0003ffff]*")
_NAME_DOTS_GONE = str.maketrans("", "", _NAME_DOTS)


# A few entries: the keys of one name (normalised, core, pinyin) all start from it, one after another.
@lru_cache(maxsize=1024)
def _comparable(s: str) -> str:
    # The steps every comparison key shares: no controls, half-width, canonical, simplified,
    # and no invisible format characters (zero-width spaces and joiners, byte-order marks).
    text = unicodedata.normalize("NFC", to_halfwidth(strip_control(s).text))
    if _NO_FORMAT_CHARACTER.fullmatch(text) is None:
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return to_simplified(text)


def _upper(text: str) -> str:
    # Upper-casing can leave a string that is no longer canonical: ΐ becomes Ι, ◌̈, ◌́ where NFC has Ϊ, ◌́.
    upped = text.upper()
    return upped if upped.isascii() or unicodedata.is_normalized("NFC", upped) else unicodedata.normalize("NFC", upped)


def normalize_name(s: str) -> str:
    """A person's name for comparison: half-width, simplified, no spaces or middle dots, Latin upper-cased."""
    # `str.split()` splits at exactly the characters `str.isspace` accepts.
    return _upper("".join(_comparable(s).split()).translate(_NAME_DOTS_GONE))


# Company Law: a limited liability company may call itself 有限责任公司 or 有限公司, and a
# joint-stock company 股份有限公司 or 股份公司; each pair is one legal form. The two forms stay
# distinct from each other because they are different kinds of company.
_ORG_FORMS = (("有限责任公司", "有限公司"),)
_JOINT_STOCK_SHORT = re.compile(r"股份公司$")
_PARTNERSHIP = re.compile(r"\(?(特殊普通合伙|普通合伙|有限合伙)\)?$")


def normalize_org_name(s: str) -> str:
    """An organisation's name for comparison: half-width, simplified, ( ) brackets, no spaces.

    Each legal form is spelt one way (有限责任公司 as 有限公司, 股份公司 as 股份有限公司, partnership
    forms in brackets), while limited and joint-stock companies stay distinct.
    """
    text = _upper("".join(normalize_brackets(_comparable(s)).split()))
    for variant, canonical in _ORG_FORMS:
        text = text.replace(variant, canonical)
    # Both patterns are anchored at the end; testing for their words first spares a scan of every name.
    if text.endswith("股份公司"):
        text = _JOINT_STOCK_SHORT.sub("股份有限公司", text)
    return _PARTNERSHIP.sub(r"(\1)", text) if "合伙" in text else text


# Provincial-level divisions (34): the 31 of the National Bureau of Statistics' division codes
# (统计用区划代码, codes 11-65) plus Taiwan, Hong Kong and Macao (GB/T 2260 codes 71, 81, 82),
# each with the short form used in company names.
PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京市", "北京"), ("天津市", "天津"), ("河北省", "河北"), ("山西省", "山西"),
    ("内蒙古自治区", "内蒙古"), ("辽宁省", "辽宁"), ("吉林省", "吉林"), ("黑龙江省", "黑龙江"),
    ("上海市", "上海"), ("江苏省", "江苏"), ("浙江省", "浙江"), ("安徽省", "安徽"),
    ("福建省", "福建"), ("江西省", "江西"), ("山东省", "山东"), ("河南省", "河南"),
    ("湖北省", "湖北"), ("湖南省", "湖南"), ("广东省", "广东"), ("广西壮族自治区", "广西"),
    ("海南省", "海南"), ("重庆市", "重庆"), ("四川省", "四川"), ("贵州省", "贵州"),
    ("云南省", "云南"), ("西藏自治区", "西藏"), ("陕西省", "陕西"), ("甘肃省", "甘肃"),
    ("青海省", "青海"), ("宁夏回族自治区", "宁夏"), ("新疆维吾尔自治区", "新疆"),
    ("台湾省", "台湾"), ("香港特别行政区", "香港"), ("澳门特别行政区", "澳门"),
)  # fmt: skip

# Prefecture-level divisions (333: cities, autonomous prefectures, prefectures, leagues), one
# province a line, as listed in the National Bureau of Statistics' 2023 division codes (taken from
# the modood/Administrative-divisions-of-China export of them). The municipalities' placeholder rows
# (市辖区, 县) and the province-administered county groups are not names and are left out.
_PREFECTURE_LINES = """
    石家庄市 唐山市 秦皇岛市 邯郸市 邢台市 保定市 张家口市 承德市 沧州市 廊坊市 衡水市
    太原市 大同市 阳泉市 长治市 晋城市 朔州市 晋中市 运城市 忻州市 临汾市 吕梁市
    呼和浩特市 包头市 乌海市 赤峰市 通辽市 鄂尔多斯市 呼伦贝尔市 巴彦淖尔市 乌兰察布市 兴安盟 锡林郭勒盟
    阿拉善盟
    沈阳市 大连市 鞍山市 抚顺市 本溪市 丹东市 锦州市 营口市 阜新市 辽阳市 盘锦市 铁岭市 朝阳市 葫芦岛市
    长春市 吉林市 四平市 辽源市 通化市 白山市 松原市 白城市 延边朝鲜族自治州
    哈尔滨市 齐齐哈尔市 鸡西市 鹤岗市 双鸭山市 大庆市 伊春市 佳木斯市 七台河市 牡丹江市 黑河市 绥化市
    大兴安岭地区
    南京市 无锡市 徐州市 常州市 苏州市 南通市 连云港市 淮安市 盐城市 扬州市 镇江市 泰州市 宿迁市
    杭州市 宁波市 温州市 嘉兴市 湖州市 绍兴市 金华市 衢州市 舟山市 台州市 丽水市
    合肥市 芜湖市 蚌埠市 淮南市 马鞍山市 淮北市 铜陵市 安庆市 黄山市 滁州市 阜阳市 宿州市 六安市 亳州市
    池州市 宣城市
    福州市 厦门市 莆田市 三明市 泉州市 漳州市 南平市 龙岩市 宁德市
    南昌市 景德镇市 萍乡市 九江市 新余市 鹰潭市 赣州市 吉安市 宜春市 抚州市 上饶市
    济南市 青岛市 淄博市 枣庄市 东营市 烟台市 潍坊市 济宁市 泰安市 威海市 日照市 临沂市 德州市 聊城市
    滨州市 菏泽市
    郑州市 开封市 洛阳市 平顶山市 安阳市 鹤壁市 新乡市 焦作市 濮阳市 许昌市 漯河市 三门峡市 南阳市 商丘市
    信阳市 周口市 驻马店市
    武汉市 黄石市 十堰市 宜昌市 襄阳市 鄂州市 荆门市 孝感市 荆州市 黄冈市 咸宁市 随州市
    恩施土家族苗族自治州
    长沙市 株洲市 湘潭市 衡阳市 邵阳市 岳阳市 常德市 张家界市 益阳市 郴州市 永州市 怀化市 娄底市
    湘西土家族苗族自治州
    广州市 韶关市 深圳市 珠海市 汕头市 佛山市 江门市 湛江市 茂名市 肇庆市 惠州市 梅州市 汕尾市 河源市
    阳江市 清远市 东莞市 中山市 潮州市 揭阳市 云浮市
    南宁市 柳州市 桂林市 梧州市 北海市 防城港市 钦州市 贵港市 玉林市 百色市 贺州市 河池市 来宾市 崇左市
    海口市 三亚市 三沙市 儋州市
    成都市 自贡市 攀枝花市 泸州市 德阳市 绵阳市 广元市 遂宁市 内江市 乐山市 南充市 眉山市 宜宾市 广安市
    达州市 雅安市 巴中市 资阳市 阿坝藏族羌族自治州 甘孜藏族自治州 凉山彝族自治州
    贵阳市 六盘水市 遵义市 安顺市 毕节市 铜仁市 黔西南布依族苗族自治州 黔东南苗族侗族自治州
    黔南布依族苗族自治州
    昆明市 曲靖市 玉溪市 保山市 昭通市 丽江市 普洱市 临沧市 楚雄彝族自治州 红河哈尼族彝族自治州
    文山壮族苗族自治州 西双版纳傣族自治州 大理白族自治州 德宏傣族景颇族自治州 怒江傈僳族自治州 迪庆藏族自治州
    拉萨市 日喀则市 昌都市 林芝市 山南市 那曲市 阿里地区
    西安市 铜川市 宝鸡市 咸阳市 渭南市 延安市 汉中市 榆林市 安康市 商洛市
    兰州市 嘉峪关市 金昌市 白银市 天水市 武威市 张掖市 平凉市 酒泉市 庆阳市 定西市 陇南市 临夏回族自治州
    甘南藏族自治州
    西宁市 海东市 海北藏族自治州 黄南藏族自治州 海南藏族自治州 果洛藏族自治州 玉树藏族自治州
    海西蒙古族藏族自治州
    银川市 石嘴山市 吴忠市 固原市 中卫市
    乌鲁木齐市 克拉玛依市 吐鲁番市 哈密市 昌吉回族自治州 博尔塔拉蒙古自治州 巴音郭楞蒙古自治州 阿克苏地区
    克孜勒苏柯尔克孜自治州 喀什地区 和田地区 伊犁哈萨克自治州 塔城地区 阿勒泰地区
"""
PREFECTURES: tuple[str, ...] = tuple(_PREFECTURE_LINES.split())


def _region_names() -> tuple[str, ...]:
    # Short forms only for provinces and for cities named "X市": the short forms of prefectures,
    # prefecture-level regions and leagues (阿里 for 阿里地区) are too often ordinary words in names.
    names = {name for pair in PROVINCES for name in pair}
    names.update(PREFECTURES)
    names.update(city[:-1] for city in PREFECTURES if city.endswith("市") and len(city) > 2)
    # Longest first, so 北京市 is taken whole before 北京 is tried.
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


REGION_NAMES = _region_names()
_LEADING_REGION = re.compile("^(?:" + "|".join(map(re.escape, REGION_NAMES)) + ")")
# A region in brackets inside a name, 华为技术(北京)有限公司 or 阿里巴巴(中国)网络技术有限公司.
_BRACKETED_REGION = re.compile(r"\((?:中国|" + "|".join(map(re.escape, REGION_NAMES)) + r")\)")
_LEGAL_FORMS = (
    "(特殊普通合伙)",
    "(普通合伙)",
    "(有限合伙)",
    "股份有限公司",
    "有限公司",
    "公司",
    "合伙企业",
    "个人独资企业",
)
_BRANCH = re.compile(r"^(?P<parent>.+?公司)(?P<branch>.+分公司)$")
# A county-level district as names carry it after their province or city (北京市朝阳区…, 北京市石景山区…):
# two or three characters and 区 or 县, taken off only right after a region, and only while three characters
# would be left. Words that end in 区 without being districts (和平社区, 科技园区, 阳光小区) are not taken.
_DISTRICT_ENDINGS: Final = "区县"
_LEADING_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,2}?(?P<last>[\u4e00-\u9fff])[" + _DISTRICT_ENDINGS + "]")
_NOT_DISTRICTS: Final = frozenset("社园小景校厂街片辖商营库林牧农垦")
# An enterprise name is region + trade name (two characters at least) + industry + legal form,
# so a remainder shorter than three characters is not a trade name and an industry: 北京银行 and
# 中山证券 keep their region, whose name is their trade name.
_MIN_CORE = 3


def org_name_core(s: str) -> str:
    """The distinctive part of an organisation's name, without its region prefix and its legal form.

    A branch keeps its own designation, so 华为技术有限公司北京分公司 gives 华为技术北京分公司 and
    never collides with its parent. A leading region is kept when taking it off would leave fewer
    than three characters, so 北京银行 stays whole; a trade name that happens to be a place name
    and is followed by a long industry term still loses it (a known limit).
    """
    return normalized_org_name_core(normalize_org_name(s))


def normalized_org_name_core(text: str) -> str:
    """`org_name_core` of a name `normalize_org_name` gave (which normalising again leaves as it is), for
    callers that need both keys of a name and would otherwise normalise it twice."""
    branch = _BRANCH.match(text)
    if branch:
        return org_name_core(branch["parent"]) + branch["branch"]
    text = _BRACKETED_REGION.sub("", text)
    for _ in range(2):  # 投资合伙企业(有限合伙) carries two forms
        for form in _LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text = text[: -len(form)]
                break
    after_region = False
    for _ in range(3):  # province, then city, then district: 广东省深圳市…, 北京市朝阳区…
        district = _LEADING_DISTRICT.match(text) if after_region else None
        if district is not None and district["last"] not in _NOT_DISTRICTS and len(text) - district.end() >= _MIN_CORE:
            text = text[district.end() :]
            break
        region = _LEADING_REGION.match(text)
        if not region or len(text) - region.end() < _MIN_CORE:
            break
        end = region.end()
        if text[end] in _DISTRICT_ENDINGS:
            # A county-level district that shares a prefecture's short name (朝阳区, not 朝阳市).
            if len(text) - end - 1 >= _MIN_CORE:
                text = text[end + 1 :]
            break
        text = text[end:]
        after_region = True
    return text


_NAME_DOTS_AS_SPACE = str.maketrans(_NAME_DOTS, " " * len(_NAME_DOTS))
_LETTERS = re.compile(r"[a-z]+")


def _latin_words(chunk: str) -> list[str]:
    # Accents are folded so "Zhāng" and "Zhang" agree, and only Latin letters are kept.
    folded = unicodedata.normalize("NFKD", chunk).encode("ascii", "ignore").decode("ascii")
    return _LETTERS.findall(folded.lower())


@cache
def _phrase_openings() -> frozenset[str]:
    # The first two characters of every phrase pypinyin's segmenter knows.
    return frozenset(phrase[:2] for phrase in PHRASES_DICT if len(phrase) > 1)


@lru_cache(maxsize=65536)
def _han_words(han: str) -> tuple[str, ...]:
    # pypinyin reads a run of Han characters phrase by phrase (a polyphone takes its reading in the
    # phrase); where no two neighbours begin a phrase it reads them one by one, so each character's
    # reading, computed once, gives the same words.
    openings = _phrase_openings()
    if len(han) > 1 and any(han[i : i + 2] in openings for i in range(len(han) - 1)):
        return tuple(word for chunk in lazy_pinyin(han) for word in _latin_words(chunk))
    return tuple(word for ch in han for word in _han_character_words(ch))


@cache
def _han_character_words(ch: str) -> tuple[str, ...]:
    return tuple(word for chunk in lazy_pinyin(ch) for word in _latin_words(chunk))


def _romanised_words(s: str) -> list[str]:
    text = _comparable(s).translate(_NAME_DOTS_AS_SPACE)
    words: list[str] = []
    # pypinyin gives one toneless syllable per Han character and passes other runs through; its own
    # segmentation into Han and other runs is kept, so Latin words never run across a Han character.
    for run in simple_seg(text):
        words.extend(_han_words(run) if RE_HANS.match(run) else _latin_words(run))
    return words


def pinyin_key(s: str) -> str:
    """The name in toneless pinyin, lower-case letters only: 张伟 and "Zhang Wei" both give "zhangwei"."""
    return "".join(_romanised_words(s))


def pinyin_initials(s: str) -> str:
    """The first letter of each syllable or Latin word: 张伟 gives "zw"."""
    return "".join(word[0] for word in _romanised_words(s))


# A signed number stays a number in a spreadsheet, so it is not defused.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_FORMULA_START = "=+-@"
# OWASP's list of formula triggers also counts a leading tab, carriage return or NUL on its own.
_SPECIAL_START = "\t\r\0"


def looks_like_formula(s: str) -> bool:
    """Whether a spreadsheet could run this cell as a formula (CSV injection, OWASP)."""
    if not s:
        return False
    if s[0] in _SPECIAL_START:
        return True
    head = to_halfwidth(s.lstrip(" \t\r\n\u3000"))
    if not head or head[0] not in _FORMULA_START:
        return False
    return not _NUMBER.fullmatch(head.rstrip())


def defuse_formula(s: str) -> str:
    """The cell with a leading apostrophe when a spreadsheet could run it, unchanged otherwise."""
    return f"'{s}" if looks_like_formula(s) else s
