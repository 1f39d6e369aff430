"""Subjects and roles: stable keys, one subject per identifier, and legal representatives over time."""

from __future__ import annotations

from datetime import date

import pytest
from store_samples import T0, at

from xinyong.errors import Conflict
from xinyong.store import NewSubject, Store, roles, subjects

ORG = NewSubject(
    kind="org",
    id_kind="uscc",
    id_value="91110105MA01XXXXXX",
    name="北京朝阳某某科技有限公司",
    name_norm="北京朝阳某某科技有限公司",
)


def _person(name: str, id_value: str | None = None) -> NewSubject:
    return NewSubject(
        kind="person",
        id_kind="resident_id" if id_value else None,
        id_value=id_value,
        name=name,
        name_norm=name,
    )


def test_create_gives_a_stable_key_and_reads_back(store: Store) -> None:
    with store.unit_of_work() as conn:
        org = subjects.create(conn, ORG, at=T0)
        person = subjects.create(conn, _person("张三", "11010519491231002X"), at=T0)
    assert org.key == f"S{org.pk:08d}"
    assert person.key == subjects.subject_key(person.pk)
    assert org.key != person.key
    with store.connect() as conn:
        assert subjects.get_by_key(conn, org.key) == org
        assert subjects.get_by_id_value(conn, "11010519491231002X") == person
        assert subjects.get(conn, person.pk) == person
        assert subjects.get_by_key(conn, "S99999999") is None
        assert subjects.by_name_norm(conn, "张三", kind="person") == [person]
        assert subjects.by_id_values(conn, ["91110105MA01XXXXXX", "nope"]) == {"91110105MA01XXXXXX": org}
        assert subjects.get_many(conn, [org.pk, person.pk]) == {org.pk: org, person.pk: person}
    assert org.created_at == T0
    assert org.name == "北京朝阳某某科技有限公司"


def test_create_many_keeps_order_and_allows_many_without_identifier(store: Store) -> None:
    with store.unit_of_work() as conn:
        made = subjects.create_many(conn, [_person("甲"), _person("乙"), _person("丙")], at=T0)
    assert [s.name for s in made] == ["甲", "乙", "丙"]
    assert [s.pk for s in made] == sorted(s.pk for s in made)
    with store.connect() as conn:
        assert [subjects.get_by_key(conn, s.key) for s in made] == made


def test_one_subject_per_identifier(store: Store) -> None:
    with store.unit_of_work() as conn:
        subjects.create(conn, ORG, at=T0)
    with pytest.raises(Conflict, match="subject cannot be created"), store.unit_of_work() as conn:
        subjects.create(conn, ORG, at=at(1))


def test_legal_representative_history(store: Store) -> None:
    with store.unit_of_work() as conn:
        org = subjects.create(conn, ORG, at=T0)
        zhang, li, wang = subjects.create_many(conn, [_person("张三"), _person("李四"), _person("王五")], at=T0)
        roles.set_legal_rep(conn, org.pk, zhang.pk, date(2020, 1, 1))
        roles.set_legal_rep(conn, org.pk, li.pk, date(2023, 7, 1))
        again = roles.set_legal_rep(conn, org.pk, li.pk, date(2024, 1, 1))  # already holds it: no change
        # Learned late: 王五 held it for a spell before 张三.
        roles.set_legal_rep(conn, org.pk, wang.pk, date(2018, 5, 1))
    assert again.person_pk == li.pk
    assert again.valid_from == date(2023, 7, 1)
    with store.connect() as conn:
        timeline = [(r.person_pk, r.valid_from, r.valid_to) for r in roles.history(conn, org.pk)]
        on_day = {d: roles.holder_on(conn, org.pk, d) for d in (date(2018, 4, 30), date(2022, 6, 30), date(2023, 7, 1))}
        zhang_roles = roles.held_by(conn, zhang.pk)
        zhang_now = roles.held_by(conn, zhang.pk, on=date(2024, 1, 1))
    assert timeline == [
        (wang.pk, date(2018, 5, 1), date(2019, 12, 31)),
        (zhang.pk, date(2020, 1, 1), date(2023, 6, 30)),
        (li.pk, date(2023, 7, 1), None),
    ]
    holders = {day: None if role is None else role.person_pk for day, role in on_day.items()}
    assert holders == {date(2018, 4, 30): None, date(2022, 6, 30): zhang.pk, date(2023, 7, 1): li.pk}
    assert [(r.org_pk, r.valid_to) for r in zhang_roles] == [(org.pk, date(2023, 6, 30))]
    assert zhang_now == []


def test_a_new_holder_from_the_same_day_replaces_the_claim(store: Store) -> None:
    with store.unit_of_work() as conn:
        org = subjects.create(conn, ORG, at=T0)
        zhang, li = subjects.create_many(conn, [_person("张三"), _person("李四")], at=T0)
        roles.set_legal_rep(conn, org.pk, zhang.pk, date(2024, 1, 1))
        roles.set_legal_rep(conn, org.pk, li.pk, date(2024, 1, 1))
    with store.connect() as conn:
        holder = roles.holder_on(conn, org.pk, date(2024, 1, 1))
        assert len(roles.history(conn, org.pk)) == 2  # the replaced claim is kept
        assert roles.held_by(conn, zhang.pk) == []
    assert holder is not None
    assert holder.person_pk == li.pk
