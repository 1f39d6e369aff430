"""The draw itself: reproducible from the seed, the hash matches it, D drawn more than A, conflicts excluded."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from xinyong.errors import InvalidInput
from xinyong.inspection import (
    Candidate,
    Inspector,
    assign_inspectors,
    generator,
    new_seed,
    normalise_seed,
    seed_hash,
    select_targets,
)

POPULATION = [
    Candidate(uscc=f"91110105{i:09d}X", weight=0.5 if i % 2 else 4.0, grade="A" if i % 2 else "D") for i in range(40)
]
ROSTER = [Inspector(code=f"I{i:02d}", name=f"检查员{i}") for i in range(8)]


def run(seed: str, n: int = 5) -> list[tuple[str, tuple[str, ...]]]:
    rng = generator(seed)
    targets = select_targets(rng, POPULATION, n)
    return [(a.target.uscc, tuple(i.code for i in a.inspectors)) for a in assign_inspectors(rng, targets, ROSTER, {})]


def test_the_same_seed_gives_the_same_draw_and_another_seed_another() -> None:
    assert run("20250601") == run("20250601")
    assert run("20250601") != run("20250602")
    assert run("007") == run("7")  # the seed is a number; its canonical text is what is hashed


def test_the_published_hash_is_sha256_of_the_seed() -> None:
    seed = new_seed()
    assert int(seed).bit_length() <= 128
    assert seed_hash(seed) == hashlib.sha256(seed.encode("ascii")).hexdigest()
    assert seed_hash("0042") == hashlib.sha256(b"42").hexdigest()
    assert new_seed() != seed


@pytest.mark.parametrize("bad", ["", "abc", "-1", "1.5", "١٢", str(2**128)])
def test_a_seed_must_be_a_whole_number_of_at_most_128_bits(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_seed(bad)
    assert caught.value.field == "seed"


def test_grade_d_is_drawn_more_often_than_grade_a() -> None:
    counts: Counter[str] = Counter()
    for seed in range(400):
        for target in select_targets(generator(str(seed)), POPULATION, 4):
            counts[target.grade or ""] += 1
    # Weights 4 and 0.5 over 20 entities each: D should take the great majority of the 1,600 draws.
    assert counts["D"] > 5 * counts["A"]
    assert counts["A"] > 0  # no grade is exempt


def test_targets_are_distinct_and_their_order_does_not_depend_on_input_order() -> None:
    drawn = select_targets(generator("5"), POPULATION, 10)
    assert len({t.uscc for t in drawn}) == 10
    assert select_targets(generator("5"), list(reversed(POPULATION)), 10) == drawn


def test_at_least_two_inspectors_without_conflicts_go_to_every_target() -> None:
    target = POPULATION[0]
    rep = Inspector(code="I90", name="法定代表人本人", resident_id="11010519491231002X")
    declared = Inspector(code="I91", name="申报回避", conflicts=frozenset({target.uscc}))
    roster = [rep, declared, *ROSTER[:2]]
    for seed in range(50):
        (assignment,) = assign_inspectors(
            generator(str(seed)), [target], roster, {target.uscc: frozenset({"11010519491231002X"})}
        )
        codes = {i.code for i in assignment.inspectors}
        assert codes == {"I00", "I01"}  # the only two without a conflict
    with pytest.raises(InvalidInput, match="only 1 inspectors"):
        assign_inspectors(
            generator("1"), [target], [rep, declared, ROSTER[0]], {target.uscc: frozenset({"11010519491231002X"})}
        )
    with pytest.raises(InvalidInput, match="at least 2"):
        assign_inspectors(generator("1"), [target], ROSTER, {}, per_target=1)


def test_draw_sizes_are_checked() -> None:
    with pytest.raises(InvalidInput, match="cannot draw 41"):
        select_targets(generator("1"), POPULATION, 41)
    with pytest.raises(InvalidInput, match="at least 1"):
        select_targets(generator("1"), POPULATION, 0)
