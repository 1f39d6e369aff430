"""The USCC rules of GB 32100-2015: alphabet, authority and type, division, both check characters."""

from __future__ import annotations

import random

import pytest

from xinyong.errors import InvalidInput
from xinyong.ids import uscc

# domain.md §1.1, each recomputed there; and a sample of the codes python-stdnum publishes as real.
KNOWN_VALID = [
    "91350500676532779B",
    "91510100MA6BKY6U36",
    "91510100350611266D",
    "91350100M000100Y43",
    "92500105MAC817EJ5D",
]
PUBLISHED_REAL = [
    "121200004013590816",
    "91110000600037341L",
    "9115220107837757XE",
    "91620105L015101280",
    "92340621MA2UK3PJXE",
    "91340603MA2UJXXCXF",
]


@pytest.mark.parametrize("code", KNOWN_VALID + PUBLISHED_REAL)
def test_known_codes_validate(code: str) -> None:
    result = uscc.validate(code)
    assert (result.valid, result.kind, result.normalized, result.reason) == (True, "uscc", code, None)


@pytest.mark.parametrize("code", KNOWN_VALID + PUBLISHED_REAL)
def test_known_codes_pass_the_organisation_code_check(code: str) -> None:
    assert uscc.org_check_char(code[8:16]) == code[16]


def test_weights_are_powers_of_three_mod_31() -> None:
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_check_char_31_becomes_0() -> None:
    # A sum divisible by 31 gives 31 - 0 = 31, written 0; seventeen zeros sum to 0.
    assert uscc.check_char("0" * 17) == "0"


def test_org_check_10_is_x_and_11_is_0() -> None:
    assert uscc.org_check_char("56010553") == "X"  # from the real code 9131012056010553X5
    assert uscc.org_check_char("00000000") == "0"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9135050067653277", "a USCC has 18 characters, found 16"),
        ("9135050067653277IB", "character 'I' at position 17 is not in the USCC alphabet"),
        ("01350500676532779B", "unknown registration authority '0' at position 1"),
        (
            "94350500676532779B",
            "unknown organisation type '4' at position 2 for registration authority '9' (industry and commerce)",
        ),
        ("Y2350500676532779B", "unknown organisation type '2' at position 2 for registration authority 'Y'"),
        ("913A0500676532779B", "division code '3A0500' at positions 3-8 must be 6 digits"),
        ("91990500676532779B", "unknown division code '990500' at positions 3-8: province prefix 99"),
        ("91350500676532779C", "wrong check character at position 18: expected B, found C"),
    ],
)
def test_each_failure_names_its_reason(code: str, reason: str) -> None:
    result = uscc.validate(code)
    assert result.valid is False
    assert result.reason is not None
    assert result.reason.startswith(reason)


def test_organisation_code_check_is_a_reason_of_its_own() -> None:
    # Change position 17 and recompute position 18, so only the GB 11714 check can catch it.
    body = "91350500676532778"
    code = body + uscc.check_char(body)
    result = uscc.validate(code)
    assert result.reason == ("wrong organisation-code check character at position 17 (GB 11714): expected 9, found 8")


def test_central_division_100000_is_accepted() -> None:
    code = uscc.generate(random.Random(3), division="100000", authority="5", org_type="1")
    assert code[2:8] == "100000"
    assert uscc.validate(code).valid


def test_pilot_fujian_codes_fail_their_check() -> None:
    assert uscc.validate("91350100M0001TGQXM").reason == ("wrong check character at position 18: expected 1, found M")
    assert uscc.validate("91350211M0000XUF46").reason == ("wrong check character at position 18: expected R, found 6")


def test_normalize_folds_width_case_spaces_and_dashes() -> None:
    assert uscc.normalize(" ９１３５０５００-６７６５ ３２７７\u30009b\n") == "91350500676532779B"
    assert uscc.validate("9135-0500-6765-3277-9b").valid


def test_length_failure_has_no_normalized_form() -> None:
    assert uscc.validate("913505").normalized is None


def test_mask_is_identity_because_the_code_is_public() -> None:
    assert uscc.mask("91350500676532779b") == "91350500676532779B"


def test_generate_respects_its_arguments() -> None:
    code = uscc.generate(random.Random(7), division="350200", authority="9", org_type="2")
    assert code[:8] == "92350200"
    assert uscc.validate(code).valid


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"authority": "0"}, "authority"),
        ({"authority": "9", "org_type": "9"}, "org_type"),
        ({"division": "990000"}, "division"),
    ],
)
def test_generate_rejects_bad_arguments(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        uscc.generate(random.Random(1), **kwargs)
    assert info.value.field == field
