"""What the portal's search reads: subjects' names in pk order (so an index can catch up incrementally),
and which people have something the public may see at all."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from xinyong.store.schema import records, subjects

#: Keys per IN (...) list, well below either database's limit on bound parameters.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class NameEntry:
    """A subject as search sees it: its key, kind, strong identifier and name as first written."""

    pk: int
    key: str
    kind: str
    id_value: str | None
    name: str
    name_norm: str


def names_after(conn: Connection, after_pk: int, *, limit: int = 20_000) -> list[NameEntry]:
    """Subjects whose pk is above `after_pk`, by pk; subjects are never renamed, so new ones are all that change."""
    s = subjects.c
    query = (
        select(s.pk, s.key, s.kind, s.id_value, s.name, s.name_norm).where(s.pk > after_pk).order_by(s.pk).limit(limit)
    )
    return [NameEntry(*row) for row in conn.execute(query)]


def people_with_records(
    conn: Connection,
    person_pks: Collection[int],
    *,
    record_types: Sequence[str],
    links: Sequence[str],
    withdrawn: Sequence[str],
) -> set[int]:
    """Which of these people have a current record of one of these types, linked by one of these links and
    not withdrawn: a cheap first cut of whom the public portal may show at all."""
    if not person_pks or not record_types:
        return set()
    r = records.c
    found: set[int] = set()
    for chunk in _chunks(sorted(person_pks)):
        query = (
            select(r.subject_pk)
            .where(
                r.subject_pk.in_(chunk),
                r.superseded_at.is_(None),
                r.record_type.in_(list(record_types)),
                r.link.in_(list(links)),
                r.status.not_in(list(withdrawn)),
            )
            .distinct()
        )
        found.update(int(pk) for (pk,) in conn.execute(query))
    return found


def _chunks(pks: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(pks), CHUNK):
        yield pks[start : start + CHUNK]
