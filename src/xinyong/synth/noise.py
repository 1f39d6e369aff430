"""The mistakes real feeds carry: variant names, blank or mistyped identifiers, broken rows, re-sends.

Every function takes the row's own random source, so the same seed makes the same mistakes, and
records in a Tally what it did, which truth/feeds.json reports next to the expected ingest counts.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any, Final

from opencc import OpenCC

from xinyong.ids import resident_id, uscc
from xinyong.synth.params import NoiseRates
from xinyong.synth.records import Row

INVALID_KINDS: Final = ("missing_field", "bad_date", "future_date", "unknown_type")
_DIGITS: Final = "0123456789"


@dataclass
class Tally:
    """How many rows could carry each mistake (`eligible`) and how many do (`applied`)."""

    applied: Counter[str] = field(default_factory=Counter)
    eligible: Counter[str] = field(default_factory=Counter)

    def draw(self, kind: str, p: float, rng: random.Random) -> bool:
        """Count the row as eligible and decide with probability p whether the mistake happens."""
        self.eligible[kind] += 1
        hit = rng.random() < p
        if hit:
            self.applied[kind] += 1
        return hit

    def as_dict(self) -> dict[str, dict[str, int]]:
        """Per mistake: applied and eligible counts, in a fixed order."""
        kinds = sorted(set(self.eligible) | set(self.applied))
        return {k: {"applied": self.applied[k], "eligible": self.eligible[k]} for k in kinds}


@cache
def _to_traditional() -> OpenCC:
    return OpenCC("s2t")


def swap_width(name: str, rng: random.Random) -> str:
    """Brackets in the other width, or a full-width space (U+3000) inside a name that has none."""
    if "（" in name or "(" in name:
        return name.translate(str.maketrans("（）()", "()（）"))
    at = rng.randrange(1, len(name)) if len(name) > 1 else 1
    return name[:at] + "\u3000" + name[at:]


def swap_suffix(name: str) -> str | None:
    """有限公司 ↔ 有限责任公司, the two spellings clerks use interchangeably; None if the name has neither."""
    if name.endswith("有限责任公司"):
        return name[: -len("有限责任公司")] + "有限公司"
    if name.endswith("有限公司") and not name.endswith("股份有限公司"):
        return name[: -len("有限公司")] + "有限责任公司"
    return None


def dirty_name(row: Row, noise: NoiseRates, rng: random.Random, tally: Tally) -> None:
    """The name as a clerk might type it: the legal rep's, another suffix, traditional, full-width."""
    name: str = row["subject_name"]
    if row["subject_kind"] == "org" and row["legal_rep_name"] and tally.draw("rep_name", noise.rep_name, rng):
        name = row["legal_rep_name"]
    swapped = swap_suffix(name)
    if swapped is not None and tally.draw("suffix_swap", noise.suffix_swap, rng):
        name = swapped
    if tally.draw("traditional", noise.traditional, rng):
        name = _to_traditional().convert(name)
    if tally.draw("fullwidth", noise.fullwidth, rng):
        name = swap_width(name, rng)
    row["subject_name"] = name


def typo(code: str, kind: str, rng: random.Random, today: date) -> str:
    """The code with one character replaced so that it no longer passes its check."""
    alphabet = uscc.ALPHABET if kind == "org" else _DIGITS
    for _ in range(100):
        at = rng.randrange(len(code) - 1)  # leave the check character: a slip in the body is likelier
        wrong = rng.choice(alphabet.replace(code[at], ""))
        candidate = code[:at] + wrong + code[at + 1 :]
        check = uscc.validate(candidate) if kind == "org" else resident_id.validate(candidate, today)
        if not check.valid:
            return candidate
    raise AssertionError(f"no single-character typo of {code} fails its check")  # pragma: no cover


def dirty_id(row: Row, noise: NoiseRates, rng: random.Random, tally: Tally, today: date) -> None:
    """Blank the identifier in some rows and mistype one character in others (never both)."""
    tally.eligible["missing_id"] += 1
    tally.eligible["typo_id"] += 1
    u = rng.random()
    if u < noise.missing_id:
        tally.applied["missing_id"] += 1
        row["subject_id"] = None
    elif u < noise.missing_id + noise.typo_id:
        tally.applied["typo_id"] += 1
        row["subject_id"] = typo(row["subject_id"], row["subject_kind"], rng, today)


def break_row(
    row: Row,
    rng: random.Random,
    as_of: date,
    noise: NoiseRates,
    bad_dates: tuple[str, ...],
    unknown: tuple[str, ...],
) -> str:
    """Make the row one ingestion must reject, and say how: a blank required field, a date that is not
    one, a date after the generation's end, or a record type the catalog does not know."""
    how = INVALID_KINDS[rng.randrange(len(INVALID_KINDS))]
    if how == "missing_field":
        row[rng.choice(("subject_name", "decided_on"))] = None
    elif how == "bad_date":
        row["decided_on"] = rng.choice(bad_dates)
    elif how == "future_date":
        row["decided_on"] = as_of + timedelta(days=noise.future_min_days + rng.randrange(3 * 365))
    else:
        row["record_type"] = rng.choice(unknown)
    return how


def corrected(row: Row, rng: random.Random) -> Row:
    """The agency's correction of a record: the sum re-assessed where there is one, and the text marked."""
    new = dict(row)
    if new["amount"] is not None:
        old = float(new["amount"])
        amount = round(old * rng.uniform(0.8, 1.2), -2) or 100.0
        new["amount"] = f"{amount if amount != old else old + 100:.2f}"
    new["summary"] = f"{new['summary']}（更正）"
    return new


def fulfilled(row: Row, day: date) -> Row:
    """The record re-sent once the subject performed or the listing was lifted: status and end date."""
    new: dict[str, Any] = dict(row)
    new["status"] = "fulfilled"
    new["valid_to"] = day
    return new
