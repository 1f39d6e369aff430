"""`registry.check` tries every kind in turn and explains failures through the kind that claims the shape."""

from __future__ import annotations

import random
from datetime import date

import pytest

from xinyong.errors import InvalidInput
from xinyong.ids import check, check_kind, registry, resident_id

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("raw", "kind", "normalized"),
    [
        ("91350500676532779B", "uscc", "91350500676532779B"),
        ("92500105mac817ej5d", "uscc", "92500105MAC817EJ5D"),
        ("11010519491231002x", "resident_id", "11010519491231002X"),
        ("１１０１０１１９９００３０７２９９Ｘ", "resident_id", "11010119900307299X"),
        # All digits, but positions 7-14 are no birth date: a USCC of a Tianjin public institution.
        ("121200004013590816", "uscc", "121200004013590816"),
    ],
)
def test_valid_codes_get_their_kind(raw: str, kind: str, normalized: str) -> None:
    result = check(raw, today=TODAY)
    assert (result.valid, result.kind, result.normalized, result.reason) == (True, kind, normalized, None)


def test_resident_claim_that_fails_still_lets_a_valid_uscc_through() -> None:
    # Division 110119 (Yanqing) + an organisation code starting 850612 reads as born 1985-06-12;
    # the resident check fails, the USCC check passes, and the valid reading wins.
    code = "111101198506120384"
    assert resident_id.looks_like(code)
    assert resident_id.validate(code, TODAY).valid is False
    result = check(code, today=TODAY)
    assert (result.valid, result.kind) == (True, "uscc")


def test_resident_shaped_failure_explains_as_resident_id() -> None:
    result = check("110105194912310021", today=TODAY)
    assert (result.valid, result.kind) == (False, "resident_id")
    assert result.reason == "wrong check character at position 18: expected X, found 1"


def test_impossible_birth_date_is_a_resident_reason() -> None:
    result = check("110105194902310021", today=TODAY)
    assert (result.kind, result.reason) == ("resident_id", "impossible birth date 19490231 at positions 7-14")


def test_future_birth_date_uses_the_given_today() -> None:
    code = resident_id.generate(random.Random(1), "110105", date(2025, 6, 2), female=True)
    assert check(code, today=TODAY).reason == "birth date 2025-06-02 is in the future (today is 2025-06-01)"
    assert check(code, today=date(2025, 6, 2)).valid


def test_fifteen_digit_number_is_claimed_by_resident_id() -> None:
    result = check("110105491231002", today=TODAY)
    assert (result.valid, result.kind, result.reason) == (
        False,
        "resident_id",
        "15-digit pre-1999 number; convert to 18 digits",
    )


@pytest.mark.parametrize(("raw", "length"), [("", 0), ("12345", 5), ("91350500676532779BB", 19)])
def test_no_kind_claims_other_lengths(raw: str, length: int) -> None:
    result = check(raw)
    assert (result.valid, result.kind, result.normalized) == (False, None, None)
    assert result.reason == f"not an 18-character USCC or resident ID (found {length} characters)"


def test_check_kind_does_not_guess() -> None:
    result = check_kind("11010519491231002X", "uscc")
    assert (result.valid, result.kind) == (False, "uscc")
    assert check_kind("11010519491231002X", "resident_id", today=TODAY).valid


def test_check_kind_unknown_kind_is_an_input_error() -> None:
    with pytest.raises(InvalidInput, match="unknown identifier kind 'lei'"):
        check_kind("x", "lei")


def test_every_kind_is_registered_once() -> None:
    assert [k.name for k in registry.KINDS] == ["resident_id", "uscc"]


def test_mask_through_the_registry() -> None:
    assert registry.mask(check("11010519491231002X", today=TODAY)) == "110105********002X"
    assert registry.mask(check("91350500676532779B")) == "91350500676532779B"
    assert registry.mask(check("123")) is None
