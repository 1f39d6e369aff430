"""The shapes a feed row takes on its way in: as read, as rejected, as validated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from xinyong.ids.model import Kind

#: The field a rejection names when the row as a whole is at fault (it could not be decoded or parsed).
WHOLE_ROW = "row"


class RawRow(NamedTuple):
    """One data row as a reader found it: where it is, its cells under the file's header, and any fault
    that kept it from being read (bad bytes, broken JSON), which rejects it whatever its cells say.

    Rows are tuples rather than dataclasses: a million of them pass through, and a tuple is made in a
    fraction of the time."""

    file: str
    number: int  # the line (CSV, JSON Lines) or sheet row (XLSX) where the row starts; Parquet: its ordinal
    header: tuple[str, ...]
    cells: Sequence[object]
    fault: str | None = None
    text_only: bool = False  # every cell is a str (CSV), so none needs converting


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a row was not stored: one field and one reason."""

    field: str
    reason: str


class Identity(NamedTuple):
    """A subject's strong identifier as checked: its kind, normalised value and whether only the
    operator's allow-list admits it."""

    subject_kind: str
    id_kind: Kind
    id_value: str
    allowlisted: bool


class ValidRow(NamedTuple):
    """A row that passed every check: its record id, the record values it gives (in the order of
    `validation.VALUE_FIELDS`), the hash of its canonical content, and the identities its identifiers
    establish (`subjects.IdentityChecker`): the subject's, and for an organisation known by its code, its
    legal representative's (None where an identifier is blank or invalid)."""

    file: str
    number: int
    record_id: str
    values: tuple[Any, ...]
    row_hash: str
    subject: Identity | None
    rep: Identity | None
