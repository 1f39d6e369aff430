"""The resident ID rules of GB 11643-1999: region, birth date, sequence parity and the MOD 11-2 check."""

from __future__ import annotations

import random
from datetime import date

import pytest

from xinyong.errors import InvalidInput
from xinyong.ids import resident_id

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize("code", ["11010119900307299X", "11010519491231002X"])
def test_known_numbers_validate(code: str) -> None:
    result = resident_id.validate(code, TODAY)
    assert (result.valid, result.kind, result.normalized, result.reason) == (True, "resident_id", code, None)


def test_standard_example_born_1880_validates() -> None:
    # The widely circulated GB 11643 example: born 1880, check digit right.
    assert resident_id.check_char("44052418800101001") == "4"
    assert resident_id.validate("440524188001010014", TODAY).valid


def test_weights() -> None:
    assert resident_id.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("1101051949123100", "a resident ID has 18 characters, found 16"),
        ("110105491231002", "15-digit pre-1999 number; convert to 18 digits"),
        ("1101051949123100A2", "character 'A' at position 17 must be a digit"),
        ("11010519491231002Y", "character 'Y' at position 18 must be a digit or X"),
        ("990105194912310021", "unknown division code '990105' at positions 1-6: province prefix 99"),
        ("110105194902300021", "impossible birth date 19490230 at positions 7-14"),
        ("110105184912310021", "birth date 1849-12-31 is before 1850-01-01"),
        ("110105202601010021", "birth date 2026-01-01 is in the future (today is 2025-06-01)"),
        ("110105194912310021", "wrong check character at position 18: expected X, found 1"),
    ],
)
def test_each_failure_names_its_reason(code: str, reason: str) -> None:
    result = resident_id.validate(code, TODAY)
    assert result.valid is False
    assert result.reason is not None
    assert result.reason.startswith(reason)


def test_born_today_is_not_in_the_future() -> None:
    code = resident_id.generate(random.Random(1), "110105", TODAY, female=False)
    assert resident_id.validate(code, TODAY).valid


def test_taiwan_residence_permit_region_830000_is_accepted() -> None:
    code = resident_id.generate(random.Random(2), "830000", date(1980, 5, 17), female=True)
    assert resident_id.validate(code, TODAY).valid


def test_normalize_full_width_and_lower_case_x() -> None:
    assert resident_id.normalize("１１０１０５ １９４９１２３１ ００２ｘ") == "11010519491231002X"


def test_mask_keeps_region_and_last_four() -> None:
    assert resident_id.mask("11010519491231002x") == "110105********002X"


def test_mask_hides_old_and_malformed_numbers_too() -> None:
    assert resident_id.mask("110105491231002") == "110105******002"
    assert resident_id.mask("1101051949") == "**********"


def test_birth_date_and_sex() -> None:
    assert resident_id.birth_date("11010519491231002X") == date(1949, 12, 31)
    assert resident_id.is_female("11010519491231002X") is True  # sequence 002
    assert resident_id.is_female("11010119900307299X") is False  # sequence 299


def test_birth_date_of_a_broken_number_is_an_input_error() -> None:
    with pytest.raises(InvalidInput, match="wrong check character") as info:
        resident_id.birth_date("110105194912310021")
    assert info.value.field == "resident_id"


def test_generate_writes_birth_and_parity() -> None:
    rng = random.Random(5)
    for female in (True, False):
        code = resident_id.generate(rng, "440305", date(2001, 2, 28), female)
        assert code[:14] == "44030520010228"
        assert resident_id.is_female(code) is female
        assert resident_id.validate(code, TODAY).valid


def test_generate_rejects_unknown_region() -> None:
    with pytest.raises(InvalidInput) as info:
        resident_id.generate(random.Random(1), "990000", date(1990, 1, 1), female=True)
    assert info.value.field == "division"


def test_upgrade_15_inserts_century_and_check() -> None:
    assert resident_id.upgrade_15("110105491231002") == "11010519491231002X"


@pytest.mark.parametrize("code", ["11010549123100", "110105490231002"])
def test_upgrade_15_refuses_what_it_cannot_upgrade(code: str) -> None:
    with pytest.raises(InvalidInput):
        resident_id.upgrade_15(code)
