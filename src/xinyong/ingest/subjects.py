"""Identity at ingest: a valid identifier ties a record to its subject at once (link `id`); anything else
waits for linkage (`pending`), with the identifier kept as written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from xinyong.ids import registry
from xinyong.ids.allowlist import AllowList
from xinyong.ids.model import Kind
from xinyong.store import NewSubject
from xinyong.text import normalize_name, normalize_org_name

#: The identifier kind each subject kind carries.
ID_KIND: Final[dict[str, Kind]] = {"org": "uscc", "person": "resident_id"}
_CACHE_SIZE: Final = 50_000  # codes repeat within a register; the cache is cleared when full


@dataclass(frozen=True, slots=True)
class Identity:
    """A subject's strong identifier as checked: its kind, normalised value and whether only the
    operator's allow-list admits it."""

    subject_kind: str
    id_kind: Kind
    id_value: str
    allowlisted: bool


class IdentityChecker:
    """Checks identifiers against their kind as of one day (resident IDs may not be born tomorrow)."""

    def __init__(self, allow_list: AllowList | None, today: date) -> None:
        self.allow_list = allow_list
        self.today = today
        self._seen: dict[tuple[str, str], Identity | None] = {}

    def check(self, subject_kind: str, raw: str | None) -> Identity | None:
        """The identity behind a code for a subject of this kind, None when blank or invalid."""
        if not raw:
            return None
        key = (subject_kind, raw)
        if key in self._seen:
            return self._seen[key]
        id_kind = ID_KIND[subject_kind]
        result = registry.check_kind(raw, id_kind, self.allow_list, today=self.today)
        identity = (
            Identity(subject_kind, id_kind, result.normalized, result.allowlisted)
            if result.valid and result.normalized is not None
            else None
        )
        if len(self._seen) >= _CACHE_SIZE:
            self._seen.clear()
        self._seen[key] = identity
        return identity


def new_subject(identity: Identity, name: str, batch_pk: int) -> NewSubject:
    """The subject to create for an identifier seen for the first time, named as this record names it."""
    name_norm = normalize_org_name(name) if identity.subject_kind == "org" else normalize_name(name)
    return NewSubject(
        kind=identity.subject_kind,
        name=name,
        name_norm=name_norm,
        id_kind=identity.id_kind,
        id_value=identity.id_value,
        allowlisted=identity.allowlisted,
        created_by_batch=batch_pk,
    )
