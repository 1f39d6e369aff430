"""truth/subjects.csv: valid unique identifiers, Beijing districts, colliding names, adult legal reps."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from synth_feeds import Province, read_csv

from xinyong.ids import resident_id, uscc
from xinyong.synth.geography import DISTRICTS

BEIJING = {d.code: d.name for d in DISTRICTS}


@pytest.fixture(scope="module")
def subjects(province: Province) -> list[dict[str, str]]:
    return read_csv(province.out / "truth" / "subjects.csv")


def _kind(subjects: list[dict[str, str]], kind: str) -> list[dict[str, str]]:
    return [s for s in subjects if s["kind"] == kind]


def test_one_row_per_subject(subjects: list[dict[str, str]], province: Province) -> None:
    assert len(_kind(subjects, "person")) == province.params.persons
    assert len(_kind(subjects, "org")) == province.params.orgs
    assert len({s["id"] for s in subjects}) == len(subjects)


def test_every_identifier_validates(subjects: list[dict[str, str]], province: Province) -> None:
    bad = [
        s["id"]
        for s in subjects
        if not (
            uscc.validate(s["id"]).valid
            if s["kind"] == "org"
            else resident_id.validate(s["id"], province.params.as_of).valid
        )
    ]
    assert bad == []


def test_people_ids_carry_their_birth_date_and_sex(subjects: list[dict[str, str]]) -> None:
    for s in _kind(subjects, "person"):
        assert resident_id.birth_date(s["id"]).isoformat() == s["birth_date"]
        assert resident_id.is_female(s["id"]) == (s["sex"] == "F")
        assert s["address"].startswith(f"北京市{s['district']}")
        assert len(s["phone"]) == 11
        assert s["phone"][0] == "1"


def test_companies_are_registered_in_beijing_districts(subjects: list[dict[str, str]], province: Province) -> None:
    orgs = _kind(subjects, "org")
    for s in orgs:
        assert s["division"] in BEIJING
        assert BEIJING[s["division"]] == s["district"]
        assert s["id"][2:8] == s["division"]
        assert s["id"][:2] == s["org_type"]
        assert date.fromisoformat(s["registered_on"]) < province.params.as_of
        assert float(s["capital"]) > 0
    assert {s["org_type"] for s in orgs} == {"91", "92", "93", "51", "52"}
    assert {s["ownership"] for s in orgs} == {"private", "state", "foreign", "collective", "nonprofit"}
    assert len({s["division"] for s in orgs}) == 16
    assert len({s["name"] for s in orgs}) == len(orgs)


def test_company_names_use_both_suffixes_and_full_width_brackets(subjects: list[dict[str, str]]) -> None:
    names = [s["name"] for s in _kind(subjects, "org")]
    assert sum(n.endswith("有限责任公司") for n in names) > 20
    assert sum(n.endswith("有限公司") and not n.endswith("有限责任公司") for n in names) > 500
    assert sum("（北京）" in n for n in names) > 20


def test_common_names_collide(subjects: list[dict[str, str]]) -> None:
    counts = Counter(s["name"] for s in _kind(subjects, "person"))
    assert sum(1 for c in counts.values() if c >= 2) >= 20
    assert max(counts[n] for n in ("张伟", "王伟", "李伟", "王芳", "李娜")) >= 3


def test_legal_reps_are_adults_and_some_lead_several_companies(subjects: list[dict[str, str]]) -> None:
    births = {s["id"]: date.fromisoformat(s["birth_date"]) for s in _kind(subjects, "person")}
    orgs = _kind(subjects, "org")
    for s in orgs:
        born = births[s["legal_rep_id"]]
        registered = date.fromisoformat(s["registered_on"])
        assert (registered - born).days >= 18 * 365, s
    reps = Counter(s["legal_rep_id"] for s in orgs)
    assert sum(1 for c in reps.values() if c >= 2) >= 20
    assert max(reps.values()) < 50
