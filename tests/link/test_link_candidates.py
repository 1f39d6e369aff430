"""Near-miss codes: a code that fails its check but is one slip from exactly one known subject of the
same name is a candidate for review, never a link."""

from __future__ import annotations

import random
from datetime import date

import pytest
from link_samples import CLOCK, Registry

from xinyong.catalog import default_catalog
from xinyong.ids import resident_id, uscc
from xinyong.link import link_pending
from xinyong.link.candidates import near_miss_candidate, near_misses
from xinyong.settings import Settings
from xinyong.store import linkage
from xinyong.store.linkage import PendingRow, SubjectEntry

TODAY = date(2025, 6, 1)


def _slips(code: str, alphabet: str, rng: random.Random) -> list[str]:
    out = []
    for at in range(len(code)):
        wrong = rng.choice(alphabet.replace(code[at], ""))
        out.append(code[:at] + wrong + code[at + 1 :])
    return out


def test_every_single_slip_of_a_uscc_leads_back_to_it() -> None:
    rng = random.Random(11)
    for _ in range(20):
        code = uscc.generate(rng, "110105")
        for slip in _slips(code, uscc.ALPHABET, rng):
            if uscc.validate(slip).valid:
                continue
            assert code in near_misses(slip, "org", TODAY), slip


def test_every_single_slip_of_a_resident_id_leads_back_to_it() -> None:
    rng = random.Random(12)
    for _ in range(20):
        code = resident_id.generate(rng, "110105", date(1970 + rng.randrange(40), 3, 14), female=True)
        for slip in [*_slips(code[:17], "0123456789", rng), code[:17] + ("X" if code[17] != "X" else "0")]:
            slip = slip if len(slip) == 18 else slip + code[17]
            if resident_id.validate(slip, TODAY).valid:
                continue
            assert code in near_misses(slip, "person", TODAY), slip


def test_near_misses_differ_in_one_place_and_pass_the_check_character() -> None:
    code = uscc.generate(random.Random(4), "110105")
    slip = code[:3] + ("7" if code[3] != "7" else "8") + code[4:]
    found = near_misses(slip, "org", TODAY)
    assert code in found
    for candidate in found:
        assert sum(a != b for a, b in zip(candidate, slip, strict=True)) == 1
        assert uscc.check_char(candidate[:17]) == candidate[17]


def test_valid_short_and_twice_mistyped_codes_have_no_near_miss() -> None:
    code = uscc.generate(random.Random(3), "110105")
    assert near_misses(code, "org", TODAY) == ()
    assert near_misses(code[:10], "org", TODAY) == ()
    assert near_misses("9111O105MA01XXXXXO", "org", TODAY) == ()  # two letters outside the alphabet


def _row(name: str, code: str, kind: str = "org") -> PendingRow:
    return PendingRow(1, "samr.110000", "R1", kind, name, code, None, None, None, None, None, None)


def test_the_candidate_must_be_unique_and_agree_on_the_name() -> None:
    code = uscc.generate(random.Random(5), "110105")
    slip = code[:9] + ("1" if code[9] != "1" else "2") + code[10:]
    assert not uscc.validate(slip).valid
    known = {code: SubjectEntry(7, "S00000007", "org", code, "北京星辰科技有限公司")}
    codes = near_misses(slip, "org", TODAY)
    assert code in codes
    hit = near_miss_candidate(_row("北京星辰科技有限责任公司", slip), codes, known)
    assert hit is not None
    assert hit.pk == 7
    assert near_miss_candidate(_row("北京月光贸易有限公司", slip), codes, known) is None
    # Were a second code one slip away held by a company of the same name, the slip would be ambiguous.
    second = uscc.generate(random.Random(6), "110105")
    both = {**known, second: SubjectEntry(8, "S00000008", "org", second, "北京星辰科技有限公司")}
    assert near_miss_candidate(_row("北京星辰科技有限公司", slip), (*codes, second), both) is None


@pytest.mark.integration
def test_a_mistyped_code_goes_to_review_with_its_subject_even_when_the_model_is_sure(registry: Registry) -> None:
    subject, code = registry.org("北京星辰科技有限公司", address="北京市朝阳区建国路88号", phone="01065001234")
    slip = code[:12] + ("1" if code[12] != "1" else "2") + code[13:]
    pk = registry.pending(
        "北京星辰科技有限公司", subject_id_raw=slip, address="北京市朝阳区建国路88号", phone="01065001234"
    )
    summary = link_pending(registry.store, default_catalog(), CLOCK, Settings())
    assert (summary.linked_by_model, summary.sent_to_review) == (0, 1)
    row = registry.record(pk)
    assert (row.link, row.subject_pk) == ("review", None)
    with registry.store.connect() as conn:
        (item,) = linkage.review_list(conn)
    assert (item.source, item.subject_pk, item.record_key) == ("near_miss_code", subject, row.key)
    assert item.probability > 0.99  # the model's view of the pair comes with it
    assert item.candidates[0]["subject"] == "S00000001"
