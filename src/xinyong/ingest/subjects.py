"""Identity at ingest: a valid identifier ties a record to its subject at once (link `id`); anything else
waits for linkage (`pending`), with the identifier kept as written."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from xinyong.ids import registry
from xinyong.ids.allowlist import AllowList
from xinyong.ids.model import Kind
from xinyong.ingest.rows import Identity
from xinyong.ingest.validation import VALUE_FIELDS
from xinyong.store import NewSubject
from xinyong.text import normalize_name, normalize_org_name

#: The identifier kind each subject kind carries.
ID_KIND: Final[dict[str, Kind]] = {"org": "uscc", "person": "resident_id"}
#: Codes remembered per subject kind (they repeat within a register), and names; a cache is cleared when full.
_CODES_REMEMBERED: Final = 200_000
_NAMES_REMEMBERED: Final = 20_000
_UNSEEN: Final = object()
_KIND, _ID_RAW, _REP_ID = (VALUE_FIELDS.index(name) for name in ("subject_kind", "subject_id_raw", "legal_rep_id"))


class IdentityChecker:
    """Checks identifiers against their kind as of one day (resident IDs may not be born tomorrow)."""

    def __init__(self, allow_list: AllowList | None, today: date) -> None:
        self.allow_list = allow_list
        self.today = today
        self._seen: dict[str, dict[str, Identity | None]] = {kind: {} for kind in ID_KIND}

    def check(self, subject_kind: str, raw: str | None) -> Identity | None:
        """The identity behind a code for a subject of this kind, None when blank or invalid."""
        if not raw:
            return None
        seen = self._seen[subject_kind]
        identity = seen.get(raw, _UNSEEN)
        if identity is not _UNSEEN:
            return identity  # type: ignore[return-value]
        id_kind = ID_KIND[subject_kind]
        result = registry.check_kind(raw, id_kind, self.allow_list, today=self.today)
        identity = None
        if result.valid and result.normalized is not None:
            # A code sent as it should be written is its own normal form: keep one string, not two.
            value = raw if result.normalized == raw else result.normalized
            identity = Identity(subject_kind, id_kind, value, result.allowlisted)
        if len(seen) >= _CODES_REMEMBERED:
            seen.clear()
        seen[raw] = identity
        return identity

    def of_row(self, values: tuple[Any, ...]) -> tuple[Identity | None, Identity | None]:
        """A valid row's identities (its record values in `VALUE_FIELDS` order): the subject's and, for an
        organisation identified by its code, its legal representative's."""
        kind = values[_KIND]
        subject = self.check(kind, values[_ID_RAW])
        rep = None
        if kind == "org" and subject is not None:
            rep = self.check("person", values[_REP_ID])
        return subject, rep


class SubjectNamer:
    """The subjects a batch creates, named as the first record about each names it: the comparison key of a
    name is worked out once per batch (a register names the same people again and again)."""

    def __init__(self, batch_pk: int) -> None:
        self.batch_pk = batch_pk
        self._norms: dict[str, dict[str, str]] = {kind: {} for kind in ID_KIND}

    def new_subject(self, identity: Identity, name: str) -> NewSubject:
        """The subject to create for an identifier seen for the first time."""
        kind = identity.subject_kind
        norms = self._norms[kind]
        name_norm = norms.get(name)
        if name_norm is None:
            name_norm = normalize_org_name(name) if kind == "org" else normalize_name(name)
            if len(norms) >= _NAMES_REMEMBERED:
                norms.clear()
            norms[name] = name_norm
        return NewSubject(
            kind=kind,
            name=name,
            name_norm=name_norm,
            id_kind=identity.id_kind,
            id_value=identity.id_value,
            allowlisted=identity.allowlisted,
            created_by_batch=self.batch_pk,
        )
