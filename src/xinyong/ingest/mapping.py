"""An agency's columns onto the canonical feed (CONTRACT §3) through its catalog `source`: headers renamed,
agency words translated, constants filled in, and every unknown column kept in `extra`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from xinyong.catalog import Source
from xinyong.catalog.fields import ALWAYS_REQUIRED, CANONICAL_FIELDS
from xinyong.errors import InvalidInput
from xinyong.ingest.cells import REPLACEMENT, as_text, clean, has_control, suspect
from xinyong.ingest.rows import WHOLE_ROW, RawRow, Rejection

_CANONICAL = frozenset(CANONICAL_FIELDS)


class MappedRow(NamedTuple):
    """A row in canonical fields (non-blank text only) and its unknown columns under their own headers."""

    fields: dict[str, str]
    extra: dict[str, str]


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
        plan = self._plan(raw.header)
        if raw.fault is not None:
            return Rejection(self._faulty_field(raw, plan), raw.fault)
        cells = raw.cells
        texts: Sequence[str | None] = (
            cast("Sequence[str]", cells)
            if raw.text_only
            else [c if type(c) is str or c is None else as_text(c) for c in cells]
        )
        if suspect(texts):
            return self._suspect(plan, texts)
        fields: dict[str, str] = {}
        extra: dict[str, str] = {}
        values = self._values
        for target, name, text in zip(plan.targets, plan.names, texts, strict=False):
            if not text:
                continue
            text = clean(text)
            if not text:
                continue
            if target is None:
                extra[name] = text
            elif target not in fields:  # alternative headers for one field: the first one filled counts
                words = values.get(target)
                fields[target] = words.get(text, text) if words else text
        for position in range(len(plan.names), len(texts)):
            # Cells beyond the header have no name: kept all the same, under their position.
            overflow = texts[position]
            if overflow and (text := clean(overflow)):
                extra[f"column {position + 1}"] = text
        for name, value in self._constants.items():
            fields.setdefault(name, value)
        return MappedRow(fields, extra)

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


def original_values(raw: RawRow) -> dict[str, Any]:
    """The row's cells under their headers as the agency sent them, for the quarantine file."""
    out: dict[str, Any] = {}
    for position, (header, cell) in enumerate(zip(raw.header, raw.cells, strict=False), start=1):
        name = clean(header) or f"column {position}"
        if name in out:
            name = f"{name} ({position})"
        out[name] = None if cell is None else as_text(cell)
    return out
