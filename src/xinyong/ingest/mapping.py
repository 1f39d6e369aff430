"""An agency's columns onto the canonical feed (CONTRACT §3) through its catalog `source`: headers renamed,
agency words translated, constants filled in, and every unknown column kept in `extra`.

Rows are mapped a block at a time (the rows of a chunk that share a header), column by column: a million-row
feed is fourteen columns of a million cells, and most of what is done to a cell can be done to its column at
once. A single row is a block of one."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from xinyong.catalog import Source
from xinyong.catalog.fields import ALWAYS_REQUIRED, CANONICAL_FIELDS
from xinyong.errors import InvalidInput
from xinyong.ingest.cells import INVISIBLE_EDGES, REPLACEMENT, as_text, clean, has_control, suspect
from xinyong.ingest.rows import WHOLE_ROW, RawRow, Rejection

_CANONICAL = frozenset(CANONICAL_FIELDS)


class MappedRow(NamedTuple):
    """A row in canonical fields (non-blank text only) and its unknown columns under their own headers."""

    fields: dict[str, str]
    extra: dict[str, str]


class MappedBlock(NamedTuple):
    """Rows in canonical fields, a column per field with "" where a row leaves it blank (a field no column
    fills is absent), each row's unknown columns (None when no row has any), and the rows that could not be
    read at all, by position in the block."""

    size: int
    fields: dict[str, list[str]]
    extra: list[dict[str, str]] | None
    rejected: dict[int, Rejection]


@dataclass(frozen=True, slots=True)
class _Plan:
    # Per column of one header: the canonical field it fills (None: kept in extra) and its extra key.
    targets: tuple[str | None, ...]
    names: tuple[str, ...]


class FieldMap:
    """The mapping of one agency: a plan per header seen (files share headers, so plans are reused)."""

    def __init__(self, source: Source | None) -> None:
        self.source = source
        self._columns: Mapping[str, str] = source.columns if source is not None else {}
        self._values: Mapping[str, Mapping[str, str]] = source.values if source is not None else {}
        self._constants: Mapping[str, str] = source.constants if source is not None else {}
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._last: tuple[tuple[str, ...], _Plan] | None = None

    def target(self, header: str) -> str | None:
        """The canonical field a column fills: the source's mapping, else a canonical name as such."""
        name = clean(header)
        mapped = self._columns.get(name)
        if mapped is not None:
            return mapped
        lowered = name.lower()
        return lowered if lowered in _CANONICAL else None

    def check_header(self, file: str, header: tuple[str, ...]) -> None:
        """Refuse a file whose header has no column for a required field, before any of it is stored."""
        covered = {self.target(h) for h in header} | set(self._constants)
        missing = [name for name in ALWAYS_REQUIRED if name not in covered]
        if missing:
            shown = ", ".join(clean(h) for h in header[:12]) + (", ..." if len(header) > 12 else "")
            expected = "its catalog source" if self.source is not None else "the canonical feed (CONTRACT §3)"
            raise InvalidInput(
                f"{file}: no column for required field {missing[0]} (columns: {shown}); "
                f"the agency's feed must follow {expected}",
                field=missing[0],
            )

    def map(self, raw: RawRow) -> MappedRow | Rejection:
        """The row in canonical fields, or why it cannot be read at all."""
        block = self.map_block([raw])
        if block.rejected:
            return block.rejected[0]
        fields = {name: column[0] for name, column in block.fields.items() if column[0]}
        return MappedRow(fields, block.extra[0] if block.extra is not None else {})

    def map_block(self, rows: Sequence[RawRow]) -> MappedBlock:
        """Rows that share one header, in canonical fields column by column."""
        plan = self._plan(rows[0].header)
        width = len(plan.names)
        rejected: dict[int, Rejection] = {}
        overflow: dict[int, dict[str, str]] = {}
        grid: list[Sequence[Any]] = [raw.cells for raw in rows]
        if not all(raw.text_only and raw.fault is None and len(raw.cells) == width for raw in rows):
            # Rows a reader could not read, cells that are not text (XLSX, JSON Lines, Parquet) and rows whose
            # width is not the header's: put right one by one, so the columns below are text of one width.
            for position, raw in enumerate(rows):
                if not (raw.text_only and raw.fault is None and len(raw.cells) == width):
                    grid[position] = self._regular(position, raw, plan, rejected, overflow)
        columns: list[Sequence[str]] = list(zip(*grid, strict=True)) if width else []
        self._screen(columns, plan, rejected)
        fields: dict[str, list[str]] = {}
        kept: list[tuple[str, list[str]]] = []
        values = self._values
        for target, name, column in zip(plan.targets, plan.names, columns, strict=True):
            texts = _cleaned(column)
            if target is None:
                kept.append((name, texts))
                continue
            words = values.get(target)
            if words:
                texts = [words.get(text, text) for text in texts]
            earlier = fields.get(target)
            # Alternative headers for one field: the first one filled counts.
            fields[target] = texts if earlier is None else [a or b for a, b in zip(earlier, texts, strict=True)]
        size = len(rows)
        for name, value in self._constants.items():
            column_now = fields.get(name)
            fields[name] = [value] * size if column_now is None else [text or value for text in column_now]
        extra: list[dict[str, str]] | None = None
        if kept or overflow:
            names = [name for name, _ in kept]
            extra = (
                [
                    {name: text for name, text in zip(names, texts, strict=True) if text}
                    for texts in zip(*(column for _, column in kept), strict=True)
                ]
                if kept
                else [{} for _ in range(size)]
            )
            for position, more in overflow.items():
                extra[position].update(more)
        return MappedBlock(size, fields, extra, rejected)

    def _regular(
        self,
        position: int,
        raw: RawRow,
        plan: _Plan,
        rejected: dict[int, Rejection],
        overflow: dict[int, dict[str, str]],
    ) -> Sequence[str]:
        # The row as header-wide text: a fault rejects it (its cells blank), cells become text, missing
        # cells are blank, and cells beyond the header go to extra under their position.
        width = len(plan.names)
        if raw.fault is not None:
            rejected[position] = Rejection(self._faulty_field(raw, plan), raw.fault)
            return [""] * width
        texts = [c if type(c) is str else "" if c is None else as_text(c) for c in raw.cells]
        if len(texts) > width:
            if suspect(texts):
                rejected[position] = self._suspect(plan, texts)
                return [""] * width
            more = {f"column {at + 1}": text for at in range(width, len(texts)) if (text := clean(texts[at]))}
            if more:
                overflow[position] = more
            return texts[:width]
        return texts + [""] * (width - len(texts))

    def _screen(self, columns: Sequence[Sequence[str]], plan: _Plan, rejected: dict[int, Rejection]) -> None:
        # Control characters and undecodable bytes reject their row, naming the first such cell: one search
        # over the whole block, and a row by row look only when it finds something.
        if not columns or not suspect(["\t".join(column) for column in columns]):
            return
        for position, texts in enumerate(zip(*columns, strict=True)):
            if position not in rejected and suspect(texts):
                rejected[position] = self._suspect(plan, texts)

    def _suspect(self, plan: _Plan, texts: Sequence[str | None]) -> Rejection:
        # The first cell holding control characters or undecodable bytes names the field.
        for position, text in enumerate(texts):
            if not text:
                continue
            name = plan.names[position] if position < len(plan.names) else f"column {position + 1}"
            field = (plan.targets[position] if position < len(plan.targets) else None) or name
            if has_control(text):
                return Rejection(field, "control characters")
            if REPLACEMENT in text:
                return Rejection(field, "undecodable bytes (U+FFFD)")
        raise AssertionError("suspect() found a cell that no check names")  # pragma: no cover

    def _plan(self, header: tuple[str, ...]) -> _Plan:
        last = self._last
        if last is not None and last[0] is header:
            return last[1]
        plan = self._plans.get(header)
        if plan is None:
            if len(self._plans) > 1000:  # JSON Lines rows may each bring their own keys
                self._plans.clear()
            names: list[str] = []
            for position, column in enumerate(header, start=1):
                name = clean(column) or f"column {position}"
                names.append(name if name not in names else f"{name} ({position})")
            plan = _Plan(tuple(self.target(h) for h in header), tuple(names))
            self._plans[header] = plan
        self._last = (header, plan)
        return plan

    def _faulty_field(self, raw: RawRow, plan: _Plan) -> str:
        # Name the column whose bytes could not be read, when the row got as far as being split into cells.
        for target, name, cell in zip(plan.targets, plan.names, raw.cells, strict=False):
            if isinstance(cell, str) and REPLACEMENT in cell:
                return target or name
        return WHOLE_ROW


def _cleaned(column: Sequence[str]) -> list[str]:
    # What `clean` makes of each cell. A column with no carriage return and no invisible character, already in
    # NFC, needs only its blanks trimmed; the test runs on the column joined by tabs, which no normalisation
    # reaches across. Anything else is cleaned cell by cell.
    joined = "\t".join(column)
    if "\r" not in joined and (
        joined.isascii()
        or (unicodedata.is_normalized("NFC", joined) and not any(ch in joined for ch in INVISIBLE_EDGES))
    ):
        return [text.strip() for text in column]
    return [clean(text) for text in column]


def original_values(raw: RawRow) -> dict[str, Any]:
    """The row's cells under their headers as the agency sent them, for the quarantine file."""
    out: dict[str, Any] = {}
    for position, (header, cell) in enumerate(zip(raw.header, raw.cells, strict=False), start=1):
        name = clean(header) or f"column {position}"
        if name in out:
            name = f"{name} ({position})"
        out[name] = None if cell is None else as_text(cell)
    return out
