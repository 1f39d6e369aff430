"""The Fellegi–Sunter model of each subject kind: which columns are compared, at which levels, which
pairs are scored at all (blocking), and the prior m and u of every level.

The priors are what a run uses when there is too little data to estimate the parameters (a new
registry, a test fixture); with enough data they are only the starting point of the estimation.
Blocking rules are plain SQL over the comparison columns, valid on DuckDB and Spark alike, and every
rule is an equality on a selective key, so the number of scored pairs grows with the data, not its
square. The three rules on parts of the code find a record whose code has one slip: one substitution
leaves two of the three six-character parts intact (a code too short to have three such parts is
left to the other rules, or every short code would meet every other).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

#: Splink's name for the column that identifies a row on each side.
UNIQUE_ID: Final = "unique_id"

LevelMaker = Callable[[], ComparisonLevelCreator]


@dataclass(frozen=True)
class Level:
    """One comparison level: its label for people, how to test it, and its prior m and u."""

    label: str
    make: LevelMaker
    m: float
    u: float


@dataclass(frozen=True)
class Comparison:
    """One comparison: the column whose absence is the null level, and its levels from strongest down."""

    name: str
    column: str
    levels: tuple[Level, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels of the non-null levels, in the order Splink numbers them from the top."""
        return tuple(level.label for level in self.levels)


@dataclass(frozen=True)
class KindSpec:
    """Everything Splink needs for one subject kind, apart from the estimated parameters."""

    kind: str
    comparisons: tuple[Comparison, ...]
    blocking: tuple[str, ...]
    training: tuple[str, ...]
    deterministic: tuple[str, ...]
    deterministic_recall: float
    tf_columns: tuple[str, ...] = field(default=())

    def describe(self) -> dict[str, Any]:
        """The specification as JSON, stored with each run."""
        return {
            "kind": self.kind,
            "comparisons": [{"name": c.name, "levels": list(c.labels)} for c in self.comparisons],
            "blocking": list(self.blocking),
            "training": list(self.training),
            "deterministic": list(self.deterministic),
            "deterministic_recall": self.deterministic_recall,
            "tf_columns": list(self.tf_columns),
        }


def _exact(column: str, *, tf: bool = False) -> LevelMaker:
    return lambda: cll.ExactMatchLevel(column, term_frequency_adjustments=tf)


def _jw(column: str, threshold: float) -> LevelMaker:
    return lambda: cll.JaroWinklerLevel(column, threshold)


def _lev(column: str, distance: int) -> LevelMaker:
    return lambda: cll.LevenshteinLevel(column, distance)


def _damerau(column: str, distance: int) -> LevelMaker:
    return lambda: cll.DamerauLevenshteinLevel(column, distance)


def _sql(condition: str) -> LevelMaker:
    return lambda: cll.CustomLevel(condition)


def _else() -> ComparisonLevelCreator:
    return cll.ElseLevel()


ELSE_LABEL: Final = "anything else"


# (start, length) of the three six-character parts of an 18-character code.
_CODE_PARTS: Final = ((1, 6), (7, 6), (13, 6))


def _same_parts(first: tuple[int, int], second: tuple[int, int]) -> str:
    # Both parts whole on the left (so on the right too, being equal): the code reaches the later one's end.
    part = "substr({side}.id_code, {start}, {length})"
    same = [
        f"{part.format(side='l', start=s, length=n)} = {part.format(side='r', start=s, length=n)}"
        for s, n in (first, second)
    ]
    return " and ".join([*same, f"length(l.id_code) >= {second[0] + second[1] - 1}"])


def _code_rules() -> tuple[str, ...]:
    # The same code, whatever its shape, and an 18-character code with one slip.
    first, middle, last = _CODE_PARTS
    return ("l.id_code = r.id_code", _same_parts(first, middle), _same_parts(first, last), _same_parts(middle, last))


_ID = Comparison(
    "id_code",
    "id_code",
    (
        # The same code twice is strong even when it fails its check: two records carrying one mistake.
        Level("same code", _exact("id_code"), 0.5, 1e-7),
        # One slip of the hand: a character changed, added or dropped, or two neighbours swapped.
        Level("code one slip apart (Damerau-Levenshtein <= 1)", _damerau("id_code", 1), 0.44, 2e-6),
        Level(ELSE_LABEL, _else, 0.06, 1.0 - 2.1e-6),
    ),
)


def _district(*, tf: bool) -> Comparison:
    return Comparison(
        "district",
        "district",
        (
            Level("same district", _exact("district", tf=tf), 0.92, 0.1),
            Level("district names alike (Jaro-Winkler >= 0.9)", _jw("district", 0.9), 0.01, 0.005),
            Level(ELSE_LABEL, _else, 0.07, 0.895),
        ),
    )


# A person's district is weighted by how common it is: people spread over districts unevenly, and
# sharing a small one says more than sharing the largest. A company's is not, because what a shared
# district adds to a company's name, representative and phone is little, and on a small registry
# the weighting would rest on a handful of values.
_DISTRICT = _district(tf=False)
_PERSON_DISTRICT = _district(tf=True)
# One address written with less detail than the other: 建国路88号 and 建国路88号院3号楼 2单元.
_STREET_BEGINS_OTHER: Final = (
    "(length(street_l) < length(street_r) AND substr(street_r, 1, length(street_l)) = street_l)"
    " OR (length(street_r) < length(street_l) AND substr(street_l, 1, length(street_r)) = street_r)"
)
_STREET = Comparison(
    "street",
    "street",
    (
        Level("same street address", _exact("street"), 0.80, 1e-4),
        Level("street address similar (Jaro-Winkler >= 0.92)", _jw("street", 0.92), 0.08, 1e-3),
        Level("one street address begins the other", _sql(_STREET_BEGINS_OTHER), 0.02, 2e-3),
        Level("street address alike (Jaro-Winkler >= 0.8)", _jw("street", 0.8), 0.02, 0.02),
        Level(ELSE_LABEL, _else, 0.08, 1.0 - 0.0231),
    ),
)


def _shares_word() -> str:
    # A romanised name's order-free form is its words in alphabetical order, apart ("WEI ZHANG"): the
    # first two of one side are looked for, whole, among the other's. A name in Han characters has one
    # "word", the whole name, which another name holds only by being the same name (an earlier level).
    found = [
        f"(length(split_part(name_core_l, ' ', {n})) > 1"
        f" AND instr(' ' || name_core_r || ' ', ' ' || split_part(name_core_l, ' ', {n}) || ' ') > 0)"
        for n in (1, 2)
    ]
    return " OR ".join(found)


_PHONE = Comparison(
    "phone",
    "phone",
    (
        Level("same phone", _exact("phone"), 0.85, 1e-5),
        Level("phone one digit apart", _lev("phone", 1), 0.03, 1e-4),
        Level(ELSE_LABEL, _else, 0.12, 1.0 - 1.1e-4),
    ),
)

ORG = KindSpec(
    kind="org",
    comparisons=(
        Comparison(
            "name",
            "name_norm",
            (
                Level("same name", _exact("name_norm"), 0.82, 1e-5),
                Level("same name once region and legal form are set aside", _exact("name_core"), 0.08, 2e-5),
                Level(
                    "name given is the legal representative's",
                    _sql("name_norm_l = rep_name_r OR rep_name_l = name_norm_r"),
                    0.01,
                    1e-5,
                ),
                Level("core names similar (Jaro-Winkler >= 0.92)", _jw("name_core", 0.92), 0.04, 1e-4),
                Level("core names alike (Jaro-Winkler >= 0.8)", _jw("name_core", 0.8), 0.02, 3e-3),
                Level(ELSE_LABEL, _else, 0.03, 1.0 - 3.13e-3),
            ),
        ),
        Comparison(
            "legal_rep",
            "rep_name",
            (
                Level("same legal representative", _exact("rep_name"), 0.90, 1e-3),
                Level("legal representatives' names alike (Jaro-Winkler >= 0.8)", _jw("rep_name", 0.8), 0.04, 0.01),
                Level(ELSE_LABEL, _else, 0.06, 0.989),
            ),
        ),
        Comparison(
            "legal_rep_id",
            "rep_id",
            (
                Level("same legal representative's ID", _exact("rep_id"), 0.95, 1e-6),
                Level(ELSE_LABEL, _else, 0.05, 1.0 - 1e-6),
            ),
        ),
        _ID,
        _DISTRICT,
        _STREET,
        _PHONE,
    ),
    blocking=(
        "l.name_core = r.name_core",
        # A slip in the name after its first two characters (a character typed for another keeps the
        # length), within one district. Without the length a district of 200,000 companies puts every
        # record next to hundreds that share its first two characters.
        "substr(l.name_core, 1, 2) = substr(r.name_core, 1, 2) and length(l.name_core) = length(r.name_core)"
        " and l.district = r.district",
        "l.name_py = r.name_py",
        "l.phone = r.phone",
        "l.street = r.street",
        "l.rep_id = r.rep_id",
        # The same legal representative's name on the same road (a common name within a whole district
        # would pair each record with thousands).
        "l.rep_name = r.rep_name and substr(l.street, 1, 3) = substr(r.street, 1, 3)",
        "l.name_norm = r.rep_name",
        "l.rep_name = r.name_norm",
        *_code_rules(),
    ),
    training=("l.name_core = r.name_core", "l.phone = r.phone"),
    deterministic=("l.name_norm = r.name_norm",),
    deterministic_recall=0.8,
)

PERSON = KindSpec(
    kind="person",
    comparisons=(
        Comparison(
            "name",
            "name_norm",
            (
                Level("same name", _exact("name_norm", tf=True), 0.90, 5e-4),
                Level("same name, words in another order", _exact("name_core"), 0.01, 1e-5),
                Level("same name in pinyin", _exact("name_py"), 0.03, 1e-3),
                Level("names similar (Jaro-Winkler >= 0.92)", _jw("name_norm", 0.92), 0.02, 1e-3),
                Level("names share a word (a romanised surname or given name)", _sql(_shares_word()), 0.01, 2e-3),
                Level("names alike (Jaro-Winkler >= 0.8)", _jw("name_norm", 0.8), 0.02, 0.01),
                Level(ELSE_LABEL, _else, 0.01, 1.0 - 0.01451),
            ),
        ),
        Comparison(
            "birth_date",
            "birth_date",
            (
                Level("same birth date", _exact("birth_date"), 0.93, 4e-5),
                Level("birth date one digit apart", _lev("birth_date", 1), 0.04, 4e-4),
                Level("birth date two digits apart", _lev("birth_date", 2), 0.01, 4e-3),
                Level(ELSE_LABEL, _else, 0.02, 1.0 - 4.44e-3),
            ),
        ),
        _ID,
        _PERSON_DISTRICT,
        _STREET,
        _PHONE,
    ),
    blocking=(
        "l.name_norm = r.name_norm and l.birth_date = r.birth_date",
        "l.name_core = r.name_core and l.district = r.district",
        "l.birth_date = r.birth_date and l.district = r.district",
        "l.name_py = r.name_py and l.birth_date = r.birth_date",
        # A slip in the given name: same surname character and birth date (for a romanised name, the
        # initial of either word, whichever order it was written in).
        "substr(l.name_norm, 1, 1) = substr(r.name_norm, 1, 1) and l.birth_date = r.birth_date",
        "substr(l.name_core, 1, 1) = substr(r.name_core, 1, 1) and l.birth_date = r.birth_date",
        "l.phone = r.phone",
        "l.street = r.street",
        # The same name, or the same birth date, on the same road (the address's first characters) of
        # an address with a slip further on.
        "l.name_core = r.name_core and substr(l.street, 1, 3) = substr(r.street, 1, 3)",
        # ... or the name written with other characters of the same sound (or its words split otherwise).
        "l.name_py = r.name_py and substr(l.street, 1, 3) = substr(r.street, 1, 3)",
        "l.birth_date = r.birth_date and substr(l.street, 1, 3) = substr(r.street, 1, 3)",
        *_code_rules(),
    ),
    training=("l.name_norm = r.name_norm and l.birth_date = r.birth_date", "l.phone = r.phone", "l.street = r.street"),
    deterministic=("l.name_norm = r.name_norm and l.birth_date = r.birth_date",),
    deterministic_recall=0.8,
    tf_columns=("name_norm", "district"),
)

SPECS: Final[dict[str, KindSpec]] = {"org": ORG, "person": PERSON}


def comparison_creator(comparison: Comparison, m_u: list[tuple[float, float]] | None = None) -> ComparisonCreator:
    """The Splink comparison, with the given (m, u) per level or the priors."""
    pairs = m_u if m_u is not None else [(level.m, level.u) for level in comparison.levels]
    levels: list[ComparisonLevelCreator | dict[str, Any]] = [cll.NullLevel(comparison.column)]
    for level, (m, u) in zip(comparison.levels, pairs, strict=True):
        levels.append(level.make().configure(m_probability=m, u_probability=u, label_for_charts=level.label))
    return cl.CustomComparison(levels, output_column_name=comparison.name, comparison_description=comparison.name)
