"""The checks of CONTRACT §3: required fields, catalog record types the agency may send, closed vocabularies,
dates that parse and do not lie in the future, amounts in yuan and field sizes. A row that fails gets one
reason naming one field (the first check it fails, in the order below); a row that passes gets its record
values and the hash of its canonical content.

The checks run a block of rows at a time, column by column: a column is tested as a whole (its longest
value, its distinct values) and looked at row by row only when the whole fails, so a clean feed costs a
few passes over each column rather than a dozen tests per row. A single row is a block of one."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any, Final

import orjson

from xinyong.catalog import Agency, Catalog
from xinyong.catalog.fields import ALWAYS_REQUIRED, CANONICAL_FIELDS, VOCABULARIES
from xinyong.dates import EARLIEST_YEAR, not_in_future, parse_date
from xinyong.errors import InvalidInput
from xinyong.ingest.mapping import MappedBlock, MappedRow
from xinyong.ingest.rows import Rejection
from xinyong.store.records import DATA_COLUMNS
from xinyong.store.schema import RECORD_FIELD_LIMITS

#: The longest value an unknown column may carry into `extra`, and the longest header it may keep.
EXTRA_VALUE_LIMIT: Final = 4000
EXTRA_NAME_LIMIT: Final = 128
#: Where the record values come from: the canonical field of the same name, except the subject's identifier
#: (stored as written in `subject_id_raw`); `extra` holds the unknown columns.
_SOURCE: Final = {"subject_id_raw": "subject_id"}
_FED: Final = {name for name in CANONICAL_FIELDS if name not in _SOURCE.values()} | set(_SOURCE) | {"extra"}
#: The record values a valid row gives (`ValidRow.values`): every column of a stored version that a feed
#: fills, in the store's column order, so that a version is the values with the store's own columns added.
VALUE_FIELDS: Final = tuple(name for name in DATA_COLUMNS if name in _FED)
if len(VALUE_FIELDS) != len(_FED) or VALUE_FIELDS[0] != "record_id":
    raise RuntimeError(f"the records table does not hold every canonical field: {sorted(_FED - set(VALUE_FIELDS))}")
_DATES: Final = ("decided_on", "birth_date", "valid_from", "valid_to")
_NOT_IN_FUTURE: Final = ("decided_on", "birth_date")
_VOCABULARIES: Final = tuple(VOCABULARIES.items())
_CENT: Final = Decimal("0.01")
_MAX_AMOUNT: Final = Decimal("1e16")  # Numeric(18, 2) holds 16 digits before the point
# An amount already in its canonical form (whole yuan and two decimals, no leading zero): its text is its str().
_CANONICAL_AMOUNT: Final = re.compile(r"(?:0|[1-9][0-9]{0,15})\.[0-9]{2}")
_DATE_CACHE_SIZE: Final = 100_000
_truthy: Final = itemgetter(1)
_MISSING: Final = "required field is missing"
#: Rejects rows (by position in the block) for one field, each with its reason, unless already rejected.
Reject = Callable[[str, Mapping[int, str]], None]

#: A valid row's record values (in `VALUE_FIELDS` order) and row hash, or why the row is rejected.
Checked = tuple[tuple[Any, ...], str] | Rejection


def _limits() -> dict[str, int]:
    # The canonical subject_id is stored as written in `subject_id_raw`.
    limits = dict(RECORD_FIELD_LIMITS)
    limits["subject_id"] = RECORD_FIELD_LIMITS["subject_id_raw"]
    return limits


class RowValidator:
    """The checks for one agency's rows as of one day (the clock's today, for dates in the future)."""

    def __init__(self, catalog: Catalog, agency: Agency, today: date) -> None:
        self.catalog = catalog
        self.agency = agency
        self.today = today
        self._limits = _limits()
        self._allowed = {rt.code: rt for rt in catalog.record_types.values() if rt.allows(agency.kind)}
        self._dates: dict[str, tuple[date, str]] = {}

    def validate(self, row: MappedRow) -> tuple[dict[str, Any], str] | Rejection:
        """The record fields and the row hash, or the first reason the row cannot be stored."""
        fields, extra = row
        block = MappedBlock(1, {name: [text] for name, text in fields.items()}, [extra] if extra else None, {})
        result = self.validate_block(block)[0]
        if isinstance(result, Rejection):
            return result
        values, row_hash = result
        return dict(zip(VALUE_FIELDS, values, strict=True)), row_hash

    def validate_block(self, block: MappedBlock) -> list[Checked]:
        """Each row's record values and hash, or the first reason it cannot be stored; rows the mapping
        already rejected keep their reason."""
        size, fields = block.size, block.fields
        rejected = dict(block.rejected)

        def reject(name: str, reasons: Mapping[int, str]) -> None:
            for row, reason in reasons.items():
                if row not in rejected:
                    rejected[row] = Rejection(name, reason)

        for name in ALWAYS_REQUIRED:
            column = fields.get(name)
            if column is None:
                reject(name, dict.fromkeys(range(size), _MISSING))
            elif not all(column):
                reject(name, {row: _MISSING for row, text in enumerate(column) if not text})
        limits = self._limits
        for name, column in fields.items():
            limit = limits.get(name)
            if limit is not None and max(map(len, column)) > limit:
                reject(
                    name,
                    {
                        r: f"{len(t)} characters, over the limit of {limit}"
                        for r, t in enumerate(column)
                        if len(t) > limit
                    },
                )
        if block.extra is not None:
            self._check_extra(block.extra, rejected)
        types = fields.get("record_type", [""] * size)
        self._check_types(types, fields, reject)
        basis = fields.get("legal_basis")
        if basis is not None:
            known = self.catalog.legal_bases
            unknown = {code for code in set(basis) if code and code not in known}
            if unknown:
                reject(
                    "legal_basis",
                    {
                        row: f"{code!r} is not a legal basis in the catalog"
                        for row, code in enumerate(basis)
                        if code in unknown
                    },
                )
        days = self._check_dates(fields, reject)
        amounts, amount_texts = self._check_amounts(fields.get("amount"), reject)
        return self._results(block, rejected, days, amounts, amount_texts)

    def _check_extra(self, extra: Sequence[dict[str, str]], rejected: dict[int, Rejection]) -> None:
        for row, values in enumerate(extra):
            for name, text in values.items():
                if len(name) > EXTRA_NAME_LIMIT:
                    found = Rejection(name[:40] + "...", f"column name over the limit of {EXTRA_NAME_LIMIT}")
                elif len(text) > EXTRA_VALUE_LIMIT:
                    found = Rejection(name, f"{len(text)} characters, over the limit of {EXTRA_VALUE_LIMIT}")
                else:
                    continue
                rejected.setdefault(row, found)
                break

    def _check_types(
        self,
        types: list[str],
        fields: dict[str, list[str]],
        reject: Reject,
    ) -> None:
        # The record type, then the closed vocabularies, then the fields the record type requires.
        distinct = set(types)
        refused = {code for code in distinct if code not in self._allowed}
        if refused:
            reject("record_type", {row: self._refusal(code) for row, code in enumerate(types) if code in refused})
        for name, allowed in _VOCABULARIES:
            column = fields.get(name)
            if column is None:
                continue
            outside = {value for value in set(column) if value and value not in allowed}
            if outside:
                shown = ", ".join(sorted(allowed))
                reject(
                    name,
                    {row: f"{value!r} is not one of {shown}" for row, value in enumerate(column) if value in outside},
                )
        for code in distinct - refused:
            for name in self._allowed[code].required_fields:
                column = fields.get(name)
                reason = f"required for record type {code}"
                reject(
                    name,
                    {
                        row: reason
                        for row, kind in enumerate(types)
                        if kind == code and (column is None or not column[row])
                    },
                )

    def _refusal(self, code: str) -> str:
        if code in self.catalog.record_types:
            return f"{code!r} may not be sent by a {self.agency.kind} agency"
        return f"{code!r} is not a record type in the catalog"

    def _check_dates(self, fields: dict[str, list[str]], reject: Reject) -> dict[str, list[tuple[date, str] | None]]:
        # Each distinct text is parsed once; every date is then written in ISO form for the row hash, so
        # every date style hashes alike. Parsing comes first for all four fields, then the future.
        days: dict[str, list[tuple[date, str] | None]] = {}
        for name in _DATES:
            column = fields.get(name)
            if column is None:
                continue
            parsed: dict[str, tuple[date, str]] = {}
            failed: dict[str, str] = {}
            for text in set(column):
                if text:
                    try:
                        parsed[text] = self._dates.get(text) or self._remember(text, name)
                    except InvalidInput as exc:
                        failed[text] = exc.message
            if failed:
                reject(name, {row: failed[text] for row, text in enumerate(column) if text in failed})
            days[name] = [parsed.get(text) for text in column]
        today = self.today
        for name in _NOT_IN_FUTURE:
            given = days.get(name)
            if given is not None:
                reject(
                    name, {row: _future(day[0], today, name) for row, day in enumerate(given) if day and day[0] > today}
                )
        starts, ends = days.get("valid_from"), days.get("valid_to")
        if starts is not None and ends is not None:
            reject(
                "valid_to",
                {
                    row: f"{end[0]} is before valid_from {start[0]}"
                    for row, (start, end) in enumerate(zip(starts, ends, strict=True))
                    if start and end and end[0] < start[0]
                },
            )
        return days

    def _remember(self, text: str, name: str) -> tuple[date, str]:
        # ISO dates are most feeds' form: the C parser takes them, the tolerant one the rest.
        day = None
        if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
            try:
                day = date.fromisoformat(text)
            except ValueError:
                day = None
            if day is not None and day.year < EARLIEST_YEAR:
                day = None
        if day is None:
            day = parse_date(text, name)
        if len(self._dates) >= _DATE_CACHE_SIZE:
            self._dates.clear()
        known = self._dates[text] = (day, day.isoformat())
        return known

    def _check_amounts(
        self, column: list[str] | None, reject: Reject
    ) -> tuple[list[Decimal | None] | None, list[str] | None]:
        if column is None:
            return None, None
        amounts: list[Decimal | None] = []
        texts: list[str] = []
        wrong: dict[int, str] = {}
        canonical = _CANONICAL_AMOUNT.fullmatch
        for row, text in enumerate(column):
            if not text:
                amounts.append(None)
                texts.append("")
            elif canonical(text):
                amounts.append(Decimal(text))
                texts.append(text)
            else:
                amount = _amount(text)
                if isinstance(amount, Rejection):
                    wrong[row] = amount.reason
                    amounts.append(None)
                    texts.append("")
                else:
                    amounts.append(amount)
                    texts.append(str(amount))
        if wrong:
            reject("amount", wrong)
        return amounts, texts

    def _results(
        self,
        block: MappedBlock,
        rejected: dict[int, Rejection],
        days: dict[str, list[tuple[date, str] | None]],
        amounts: list[Decimal | None] | None,
        amount_texts: list[str] | None,
    ) -> list[Checked]:
        # The record values of every row, built column by column and zipped into rows; the canonical content
        # (every field given, dates in ISO form, the amount to the fen, and `extra` when there is any)
        # hashed row by row.
        size, fields, extra = block.size, block.fields, block.extra
        nothing: list[Any] = [None] * size
        columns: list[Iterable[Any]] = []
        for name in VALUE_FIELDS:
            if name == "extra":
                columns.append(extra if extra is not None else [{} for _ in range(size)])
            elif name in days:
                columns.append([day[0] if day is not None else None for day in days[name]])
            elif name == "amount" and amounts is not None:
                columns.append(amounts)
            else:
                column = fields.get(_SOURCE.get(name, name))
                if name == "status":
                    columns.append(["in_force"] * size if column is None else [t or "in_force" for t in column])
                else:
                    columns.append(nothing if column is None else [t or None for t in column])
        names = list(fields)
        canonical = [
            [day[1] if day is not None else "" for day in days[name]]
            if name in days
            else amount_texts
            if name == "amount" and amount_texts is not None
            else fields[name]
            for name in names
        ]
        contents: Iterable[tuple[str, ...]] = zip(*canonical, strict=True) if canonical else [()] * size
        rows = zip(zip(*columns, strict=True), contents, strict=True)
        if not rejected and extra is None:  # the usual chunk: every row valid, no unknown columns
            return [(values, row_hash(dict(filter(_truthy, zip(names, texts, strict=True))))) for values, texts in rows]
        out: list[Checked] = []
        for row, (values, texts) in enumerate(rows):
            if row in rejected:
                out.append(rejected[row])
                continue
            content: dict[str, Any] = dict(filter(_truthy, zip(names, texts, strict=True)))
            if extra is not None and extra[row]:
                content["extra"] = extra[row]
            out.append((values, row_hash(content)))
        return out


def _future(day: date, today: date, name: str) -> str:
    try:
        not_in_future(day, today, name)
    except InvalidInput as exc:
        return exc.message
    raise AssertionError("a date after today was not refused")  # pragma: no cover


def _amount(text: str) -> Decimal | Rejection:
    try:
        amount = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return Rejection("amount", f"{text[:40]!r} is not an amount in yuan")
    if not amount.is_finite():
        return Rejection("amount", f"{text[:40]!r} is not an amount in yuan")
    if amount < 0:
        return Rejection("amount", f"{text[:40]!r} is negative")
    if amount >= _MAX_AMOUNT:
        return Rejection("amount", f"{text[:40]!r} is over the largest amount stored (16 digits)")
    cents = amount.quantize(_CENT)
    if cents != amount:
        return Rejection("amount", f"{text[:40]!r} has fractions of a fen (more than 2 decimal places)")
    return cents


def row_hash(canonical: dict[str, Any]) -> str:
    """SHA-256 of the row's canonical content as stable JSON (sorted keys): the same content sent again in
    another file, format or date style hashes the same."""
    return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()
