"""Noise: each mistake does what it says, and each happens at its parameter's rate within sampling error."""

from __future__ import annotations

import json
import math
import random
from datetime import date, timedelta
from typing import Any

import pytest
from synth_feeds import CanonicalRow, Province, read_csv, read_feed

from xinyong.catalog import default_catalog
from xinyong.dates import parse_date
from xinyong.errors import InvalidInput
from xinyong.ids import resident_id, uscc
from xinyong.synth import NoiseRates
from xinyong.synth.noise import INVALID_KINDS, break_row, corrected, swap_suffix, swap_width, typo
from xinyong.synth.shapes import SHAPES

AS_OF = date(2026, 6, 30)


def within(k: int, n: int, p: float) -> bool:
    """k successes in n trials is within four standard deviations (plus a little slack) of n·p."""
    return abs(k - n * p) <= 4 * math.sqrt(n * p * (1 - p)) + 3


def test_suffix_swaps_both_ways_and_leaves_other_forms() -> None:
    assert swap_suffix("北京华信科技有限公司") == "北京华信科技有限责任公司"
    assert swap_suffix("北京华信科技有限责任公司") == "北京华信科技有限公司"
    assert swap_suffix("北京华信科技股份有限公司") is None
    assert swap_suffix("北京市朝阳区王芳便利店") is None


def test_width_swaps_brackets_or_inserts_a_full_width_space() -> None:
    rng = random.Random(1)
    assert swap_width("华为（北京）科技有限公司", rng) == "华为(北京)科技有限公司"
    assert swap_width("华为(北京)科技有限公司", rng) == "华为（北京）科技有限公司"
    spaced = swap_width("张伟", rng)
    assert spaced == "张\u3000伟"


@pytest.mark.parametrize("kind", ["org", "person"])
def test_a_typo_changes_one_character_and_fails_the_check(kind: str) -> None:
    rng = random.Random(7)
    for _ in range(200):
        code = (
            uscc.generate(rng, division="110105")
            if kind == "org"
            else resident_id.generate(rng, "110105", date(1980, 5, 17), rng.random() < 0.5)
        )
        wrong = typo(code, kind, rng, AS_OF)
        assert len(wrong) == len(code)
        assert sum(a != b for a, b in zip(wrong, code, strict=True)) == 1
        check = uscc.validate(wrong) if kind == "org" else resident_id.validate(wrong, AS_OF)
        assert not check.valid


def _row() -> dict[str, Any]:
    return {
        "record_type": "admin.penalty",
        "subject_name": "北京华信科技有限公司",
        "decided_on": date(2025, 3, 9),
        "amount": "5000.00",
        "summary": "虚假宣传",
    }


def test_each_way_of_breaking_a_row_is_one_ingestion_rejects() -> None:
    catalog = default_catalog()
    noise = NoiseRates()
    seen = set()
    rng = random.Random(3)
    for _ in range(60):
        row = _row()
        how = break_row(row, rng, AS_OF, noise, ("2025年2月30日", "待定"), ("终结本次执行",))
        seen.add(how)
        if how == "missing_field":
            assert row["subject_name"] is None or row["decided_on"] is None
        elif how == "bad_date":
            with pytest.raises(InvalidInput):
                parse_date(row["decided_on"], "decided_on")
        elif how == "future_date":
            assert row["decided_on"] >= AS_OF + timedelta(days=noise.future_min_days)
        else:
            assert row["record_type"] not in catalog.record_types
    assert seen == set(INVALID_KINDS)


def test_a_correction_changes_the_sum_and_marks_the_text() -> None:
    row = _row()
    new = corrected(row, random.Random(5))
    assert new["amount"] != row["amount"]
    assert float(new["amount"]) > 0
    assert new["summary"] == "虚假宣传（更正）"
    assert row["summary"] == "虚假宣传"


@pytest.fixture(scope="module")
def tallies(province: Province) -> list[dict[str, Any]]:
    doc = json.loads((province.out / "truth" / "feeds.json").read_text(encoding="utf-8"))
    feeds: list[dict[str, Any]] = doc["feeds"]
    return feeds


def test_noise_rates_match_their_parameters(province: Province, tallies: list[dict[str, Any]]) -> None:
    noise = province.params.noise
    for kind in ("fullwidth", "suffix_swap", "traditional", "missing_id", "typo_id", "rep_name", "invalid"):
        applied = sum(f["noise"][kind]["applied"] for f in tallies)
        eligible = sum(f["noise"][kind]["eligible"] for f in tallies)
        assert eligible > 300, kind
        assert applied > 0, kind
        assert within(applied, eligible, getattr(noise, kind)), (kind, applied, eligible)
    for kind in ("correction", "duplicate"):
        applied = sum(f["noise"][kind]["applied"] for f in tallies)
        eligible = sum(f["noise"][kind]["eligible"] for f in tallies)
        assert within(applied, eligible, getattr(noise, kind)), (kind, applied, eligible)
        sent = sum(f["resent"][kind + "s"] for f in tallies)
        assert 0 < sent <= applied
    broken = {k: sum(f["noise"].get(f"invalid_{k}", {}).get("applied", 0) for f in tallies) for k in INVALID_KINDS}
    assert all(n > 0 for n in broken.values()), broken
    assert sum(broken.values()) == sum(f["rejected"] for f in tallies)


@pytest.fixture(scope="module")
def originals(province: Province) -> list[tuple[str, CanonicalRow]]:
    """The first row sent of every record, with the agency that sent it."""
    seen: set[tuple[str, str | None]] = set()
    out = []
    for shape in SHAPES:
        for row in read_feed(province.out / "feeds" / shape.filename, shape):
            if (shape.agency, row["record_id"]) not in seen:
                seen.add((shape.agency, row["record_id"]))
                out.append((shape.agency, row))
    return out


def test_identifier_noise_measured_in_the_files(province: Province, originals: list[tuple[str, CanonicalRow]]) -> None:
    truth = {(r["agency"], r["record_id"]): r for r in read_csv(province.out / "truth" / "records.csv")}
    blank = mistyped = exact = 0
    for agency, row in originals:
        true_id = truth[(agency, str(row["record_id"]))]["subject_id"]
        given = row["subject_id"]
        if given is None:
            blank += 1
        elif given == true_id:
            exact += 1
        else:
            mistyped += 1
            assert sum(a != b for a, b in zip(given, true_id, strict=True)) == 1
    n = len(originals)
    assert blank + mistyped + exact == n
    assert within(blank, n, province.params.noise.missing_id), (blank, n)
    assert within(mistyped, n, province.params.noise.typo_id), (mistyped, n)


def test_name_noise_is_visible_in_the_files(
    originals: list[tuple[str, CanonicalRow]], tallies: list[dict[str, Any]]
) -> None:
    wide = sum(
        1
        for _, row in originals
        if row["subject_name"] and ("\u3000" in row["subject_name"] or "(" in row["subject_name"])
    )
    applied = sum(f["noise"]["fullwidth"]["applied"] for f in tallies)
    rejected = sum(f["rejected"] for f in tallies)
    assert applied - rejected <= wide <= applied
    traditional = sum(
        1
        for _, row in originals
        if row["subject_name"] and any(c in row["subject_name"] for c in "華網業貿開發國東張劉陳楊黃趙")
    )
    assert traditional > 0
