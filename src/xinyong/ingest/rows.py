"""The shapes a feed row takes on its way in: as read, as rejected, as validated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

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


class ValidRow(NamedTuple):
    """A row that passed every check: its record id, the record values it gives (in the order of
    `validation.VALUE_FIELDS`) and the hash of its canonical content."""

    file: str
    number: int
    record_id: str
    values: tuple[Any, ...]
    row_hash: str
