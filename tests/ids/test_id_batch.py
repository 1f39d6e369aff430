"""The vectorised check-character gate agrees with the one-by-one validators."""

from __future__ import annotations

import random
from datetime import date

from xinyong.ids import batch, registry, resident_id, uscc


def test_agrees_with_scalar_validators_on_valid_and_corrupted_codes() -> None:
    rng = random.Random(7)
    codes = [uscc.generate(rng) for _ in range(300)]
    codes += [resident_id.generate(rng, "110105", date(1980, 1, 1 + i % 28), i % 2 == 0) for i in range(300)]
    corrupted = []
    for code in codes:
        pos = rng.randrange(18)
        alphabet = uscc.ALPHABET if code[pos].isalpha() or pos == 17 else "0123456789"
        other = rng.choice([c for c in alphabet if c != code[pos]])
        corrupted.append(code[:pos] + other + code[pos + 1 :])
    everything = codes + corrupted + ["short", "１１０１０５１９４９１２３１００２Ｘ", ""]
    mask = batch.check_characters_ok(everything)
    for code, ok in zip(everything, mask, strict=True):
        scalar = registry.check(code)
        # The gate tests shape and check characters only: whatever the registry accepts as written
        # passes it, and what it passes fails the registry only for a reason other than a check character.
        if scalar.valid and scalar.normalized == code:
            assert ok
        if ok and not scalar.valid:
            assert "check character" not in (scalar.reason or "")
    assert mask[:600].all()
    # A substituted resident-ID digit can, rarely, make a number whose USCC checks both hold by chance.
    assert mask[600:1200].sum() <= 3


def test_empty_and_mixed_lengths() -> None:
    assert batch.check_characters_ok([]).shape == (0,)
    mask = batch.check_characters_ok(["11010519491231002X", "x", "91350500676532779B"])
    assert mask.tolist() == [True, False, True]


def test_line_breaks_never_shift_a_code_into_line() -> None:
    # 17 + 1 + 19 characters is the length two 18-character codes joined by a line break would have: the gate
    # must not read the second code's last 18 characters as a code of its own.
    valid = "11010519491231002X"
    shifted = ["1101051949123100\n", "\n" + valid]
    assert batch.check_characters_ok(shifted).tolist() == [False, False]
    assert batch.check_characters_ok([valid, valid[:17] + "\n"]).tolist() == [True, False]
    assert batch.check_characters_ok(["x" * 17, valid + "1"]).tolist() == [False, False]


def test_lines_given_by_the_caller_agree_with_the_codes() -> None:
    codes = ["11010519491231002X", "91350500676532779B", "11010519491231002Y"]
    assert batch.check_characters_ok(codes, lines="\n".join(codes)).tolist() == [True, True, False]
