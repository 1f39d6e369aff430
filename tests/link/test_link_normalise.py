"""Comparison columns: the variants agencies write come out as one key; addresses split into district and street."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.link.normalise import (
    code_key,
    date_key,
    mapped,
    most_common,
    org_keys,
    person_keys,
    phone_key,
    split_address,
)


@pytest.mark.parametrize(
    "variant",
    [
        "北京星辰科技有限责任公司",  # the long spelling of the same legal form
        "北京星辰科技有限公司 ",
        "北京 星辰科技有限公司",  # a stray space
        "北京\u3000星辰科技有限公司",  # an ideographic space
        "北京星辰科技有限公司\u200b",  # a zero-width space pasted from a web page
    ],
)
def test_org_variants_share_the_name_key(variant: str) -> None:
    assert org_keys(variant) == ("北京星辰科技有限公司", "星辰科技")


def test_brackets_region_and_traditional_characters_reduce_to_one_core() -> None:
    cores = {
        org_keys(name)[1]
        for name in (
            "华为技术（北京）有限公司",
            "华为技术(北京)有限公司",
            "北京华为技术有限公司",
            "華為技術（北京）有限公司",
        )
    }
    assert cores == {"华为技术"}


def test_limited_and_joint_stock_companies_stay_apart() -> None:
    assert org_keys("北京星辰科技股份有限公司")[0] != org_keys("北京星辰科技有限公司")[0]


def test_person_name_keys_fold_script_and_dots() -> None:
    assert person_keys("张 伟") == ("张伟", "张伟", "zhangwei")
    assert person_keys("張偉") == ("张伟", "张伟", "zhangwei")
    assert person_keys("Zhang Wei")[2] == "zhangwei"
    assert person_keys("买买提·艾力")[0] == "买买提艾力"


def test_romanised_names_agree_whatever_the_word_order() -> None:
    assert person_keys("Zhang Wei")[1] == person_keys("WEI  zhang")[1] == "WEI ZHANG"
    assert person_keys("Zhang Wei")[0] != person_keys("Wei Zhang")[0]


@pytest.mark.parametrize(
    ("address", "district", "street"),
    [
        ("北京市朝阳区建国路88号", "朝阳区", "建国路88号"),
        ("北京市 朝阳区（建国路）１号", "朝阳区", "(建国路)1号"),
        ("河北省石家庄市长安区中山东路1号", "长安区", "中山东路1号"),
        ("辽宁省朝阳市双塔区朝阳大街1号", "双塔区", "朝阳大街1号"),
        ("朝阳区建国路1号", "朝阳区", "建国路1号"),
        ("建国路1号", None, "建国路1号"),
    ],
)
def test_address_splits_into_district_and_street(address: str, district: str | None, street: str) -> None:
    assert split_address(address) == (district, street)


def test_phone_and_code_keys() -> None:
    assert phone_key("+86 138-0013-8000") == "13800138000"
    assert phone_key("010-6500 1234") == "01065001234"
    assert phone_key("无") is None
    assert code_key(" 9111 0105-MA01 ") == "91110105MA01"
    assert code_key("  ") is None
    assert date_key(date(1980, 2, 3)) == "19800203"
    assert date_key(None) is None


def test_most_common_prefers_frequency_then_the_smallest_value() -> None:
    assert most_common(["b", "a", "b", None, ""]) == "b"
    assert most_common(["b", "a"]) == "a"
    assert most_common([None, ""]) is None


def test_mapped_computes_each_distinct_value_once() -> None:
    calls: list[str] = []

    def upper(value: str) -> str:
        calls.append(value)
        return value.upper()

    assert mapped(["a", "b", None, "a"], upper) == ["A", "B", None, "A"]
    assert calls == ["a", "b"]
