"""Province-level prefixes of the GB/T 2260 division codes with which both identifiers name a region."""

from __future__ import annotations

from typing import Final

# GB/T 2260 province-level units; the first two digits of every county-level division code.
PROVINCES: Final[dict[str, str]] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

# Residence permits for Taiwan residents (2018) carry 830000 in the resident-number address field;
# Hong Kong and Macao permits use 810000 and 820000, already in the table above.
RESIDENT_EXTRA: Final[dict[str, str]] = {"83": "台湾居民居住证"}

# Registration authorities at the central level write 100000 in the USCC division field
# (unconfirmed against the GB 32100 text; seen on national social organisations and central organs).
CENTRAL: Final[str] = "100000"


def division_problem(division: str, positions: str, *, extra: dict[str, str] | None = None) -> str | None:
    """Why a six-character division code is not one this system accepts, or None when it is."""
    if len(division) != 6 or not division.isascii() or not division.isdigit():
        return f"division code {division!r} at positions {positions} must be 6 digits"
    prefix = division[:2]
    if prefix in PROVINCES or (extra is not None and prefix in extra):
        return None
    return f"unknown division code {division!r} at positions {positions}: province prefix {prefix} is not in GB/T 2260"
