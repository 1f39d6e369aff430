"""Blocking: which pairs of a person record and a subject are scored at all."""

from __future__ import annotations

import pandas as pd

from xinyong.link import model
from xinyong.link.backends import open_backend
from xinyong.link.normalise import address_columns, name_columns
from xinyong.link.settings import PERSON


def _people(pk: int, names: list[str], addresses: list[str]) -> pd.DataFrame:
    norm, core, py = name_columns("person", names)
    district, street = address_columns(addresses)
    n = len(names)
    frame = pd.DataFrame(
        {
            "unique_id": range(pk, pk + n),
            "name_norm": norm,
            "name_core": core,
            "name_py": py,
            "id_code": [None] * n,
            "district": district,
            "street": street,
            "phone": [None] * n,
            "birth_date": [None] * n,
        },
        dtype="object",
    )
    return frame.astype({"unique_id": "int64"})


def _scored(records: pd.DataFrame, subjects: pd.DataFrame) -> set[tuple[int, int]]:
    backend = open_backend("duckdb")
    try:
        sides = model.register(backend, records, subjects)
        pairs = model.score_link(backend, PERSON, model.priors(PERSON, len(subjects)), sides, keep=5)
        return set(zip(pairs["record_pk"].astype(int), pairs["subject_pk"].astype(int), strict=True))
    finally:
        backend.close()


def test_a_name_of_the_same_sound_on_the_same_road_is_compared() -> None:
    # 张玮 for 张伟 (the same pinyin), the district misspelt, no birth date, code or phone: only the rule on
    # the name's sound and the road's first characters brings the two together.
    subjects = _people(100, ["张伟", "李娜"], ["北京市朝阳区建国路88号院3号楼", "北京市海淀区学院路5号"])
    records = _people(1, ["张玮"], ["北京市朝杨区建国路88号"])
    assert records["name_py"][0] == subjects["name_py"][0]
    assert records["name_norm"][0] != subjects["name_norm"][0]
    assert records["street"][0] != subjects["street"][0]
    assert (1, 100) in _scored(records, subjects)


def test_the_same_sound_on_another_road_is_not_compared() -> None:
    subjects = _people(100, ["张伟"], ["北京市朝阳区学院路5号"])
    records = _people(1, ["张玮"], ["北京市朝杨区建国路88号"])
    assert _scored(records, subjects) == set()
