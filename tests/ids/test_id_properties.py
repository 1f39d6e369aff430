"""Properties the check characters guarantee: every generated code validates, every single typo is caught."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.ids import compact, resident_id, uscc
from xinyong.ids.divisions import PROVINCES

TODAY = date(2025, 6, 1)
RESIDENT_SYMBOLS = "0123456789X"
FAST = settings(max_examples=60, deadline=None)

divisions = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(sorted(PROVINCES)),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
authority_types = st.sampled_from(
    [(authority, org_type) for authority, (_, types) in uscc.AUTHORITIES.items() for org_type in types]
)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority, org_type = draw(authority_types)
    seed = draw(st.integers(min_value=0, max_value=2**32))
    return uscc.generate(random.Random(seed), division=draw(divisions), authority=authority, org_type=org_type)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    seed = draw(st.integers(min_value=0, max_value=2**32))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    return resident_id.generate(random.Random(seed), draw(divisions), born, draw(st.booleans()))


@FAST
@given(usccs())
def test_generated_usccs_validate(code: str) -> None:
    result = uscc.validate(code)
    assert (result.valid, result.normalized) == (True, code)


@FAST
@given(resident_ids())
def test_generated_resident_ids_validate(code: str) -> None:
    result = resident_id.validate(code, TODAY)
    assert (result.valid, result.normalized) == (True, code)


@FAST
@given(usccs())
def test_every_single_substitution_of_a_uscc_is_rejected(code: str) -> None:
    for pos in range(18):
        for symbol in uscc.ALPHABET:
            if symbol != code[pos]:
                typo = code[:pos] + symbol + code[pos + 1 :]
                assert not uscc.validate(typo).valid, typo


@FAST
@given(resident_ids())
def test_every_single_substitution_of_a_resident_id_is_rejected(code: str) -> None:
    for pos in range(18):
        for symbol in RESIDENT_SYMBOLS:
            if symbol != code[pos]:
                typo = code[:pos] + symbol + code[pos + 1 :]
                assert not resident_id.validate(typo, TODAY).valid, typo


@FAST
@given(resident_ids())
def test_every_adjacent_transposition_of_a_resident_id_is_rejected(code: str) -> None:
    for pos in range(17):
        if code[pos] != code[pos + 1]:
            swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
            assert not resident_id.validate(swapped, TODAY).valid, swapped


@FAST
@given(usccs())
def test_every_adjacent_transposition_of_a_uscc_is_rejected(code: str) -> None:
    # Holds because adjacent MOD 31 weights 3^k differ and 31 is prime (position 18 weighs 1).
    for pos in range(17):
        if code[pos] != code[pos + 1]:
            swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
            assert not uscc.validate(swapped).valid, swapped


@FAST
@given(usccs())
def test_full_width_spaced_forms_normalise_back(code: str) -> None:
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code)
    spaced = "\u3000".join([full_width[:6], full_width[6:12], full_width[12:]]).lower()
    assert uscc.validate(spaced).normalized == code


@FAST
@given(st.text())
def test_compact_is_idempotent(raw: str) -> None:
    once = compact(raw)
    assert compact(once) == once
    assert not any(ch.isspace() for ch in once)


@FAST
@given(resident_ids())
def test_mask_never_shows_birth_date_or_sequence(code: str) -> None:
    masked = resident_id.mask(code)
    assert masked[:6] == code[:6]
    assert masked[6:14] == "********"
    assert masked[14:] == code[14:]
