"""The checks of CONTRACT §3, row by row: required fields, catalog record types the agency may send, closed
vocabularies, dates that parse and do not lie in the future, amounts in yuan and field sizes. A row that
fails gets one reason naming one field; a row that passes gets the hash of its canonical content."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import orjson

from xinyong.catalog import Agency, Catalog
from xinyong.catalog.fields import ALWAYS_REQUIRED, VOCABULARIES
from xinyong.dates import EARLIEST_YEAR, not_in_future, parse_date
from xinyong.errors import InvalidInput
from xinyong.ingest.mapping import MappedRow
from xinyong.ingest.rows import Rejection
from xinyong.store.schema import RECORD_FIELD_LIMITS

#: The longest value an unknown column may carry into `extra`, and the longest header it may keep.
EXTRA_VALUE_LIMIT: Final = 4000
EXTRA_NAME_LIMIT: Final = 128
_REQUIRED: Final = frozenset(ALWAYS_REQUIRED)
_VOCABULARIES: Final = tuple(VOCABULARIES.items())
_UNLIMITED: Final = 1 << 62  # dates and amounts: parsed, not measured
_CENT: Final = Decimal("0.01")
_MAX_AMOUNT: Final = Decimal("1e16")  # Numeric(18, 2) holds 16 digits before the point
_DATE_CACHE_SIZE: Final = 100_000


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
        if not fields.keys() >= _REQUIRED:
            missing = next(name for name in ALWAYS_REQUIRED if name not in fields)
            return Rejection(missing, "required field is missing")
        limits = self._limits
        for name, text in fields.items():
            if len(text) > limits.get(name, _UNLIMITED):
                return Rejection(name, f"{len(text)} characters, over the limit of {limits[name]}")
        for name, text in extra.items():
            if len(name) > EXTRA_NAME_LIMIT:
                return Rejection(name[:40] + "...", f"column name over the limit of {EXTRA_NAME_LIMIT}")
            if len(text) > EXTRA_VALUE_LIMIT:
                return Rejection(name, f"{len(text)} characters, over the limit of {EXTRA_VALUE_LIMIT}")
        code = fields["record_type"]
        record_type = self._allowed.get(code)
        if record_type is None:
            if code in self.catalog.record_types:
                return Rejection("record_type", f"{code!r} may not be sent by a {self.agency.kind} agency")
            return Rejection("record_type", f"{code!r} is not a record type in the catalog")
        get = fields.get
        for name, allowed in _VOCABULARIES:
            value = get(name)
            if value is not None and value not in allowed:
                return Rejection(name, f"{value!r} is not one of {', '.join(sorted(allowed))}")
        for name in record_type.required_fields:
            if name not in fields:
                return Rejection(name, f"required for record type {code}")
        basis = get("legal_basis")
        if basis is not None and basis not in self.catalog.legal_bases:
            return Rejection("legal_basis", f"{basis!r} is not a legal basis in the catalog")
        canonical: dict[str, Any] = dict(fields)
        try:
            decided_on = self._date(canonical, "decided_on")
            birth_date = self._date(canonical, "birth_date")
            valid_from = self._date(canonical, "valid_from")
            valid_to = self._date(canonical, "valid_to")
            if decided_on is not None and decided_on > self.today:
                not_in_future(decided_on, self.today, "decided_on")
            if birth_date is not None and birth_date > self.today:
                not_in_future(birth_date, self.today, "birth_date")
        except InvalidInput as exc:
            return Rejection(exc.field or "date", exc.message)
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            return Rejection("valid_to", f"{valid_to} is before valid_from {valid_from}")
        amount_text = get("amount")
        amount = None
        if amount_text is not None:
            amount = _amount(amount_text)
            if isinstance(amount, Rejection):
                return amount
            canonical["amount"] = str(amount)
        if extra:
            canonical["extra"] = extra
        values: dict[str, Any] = {
            "record_id": fields["record_id"],
            "record_type": code,
            "subject_kind": fields["subject_kind"],
            "subject_name": fields["subject_name"],
            "subject_id_raw": get("subject_id"),
            "decided_on": decided_on,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "decision_no": get("decision_no"),
            "legal_basis": basis,
            "severity": get("severity"),
            "status": get("status", "in_force"),
            "amount": amount,
            "grade": get("grade"),
            "result": get("result"),
            "legal_rep_name": get("legal_rep_name"),
            "legal_rep_id": get("legal_rep_id"),
            "address": get("address"),
            "phone": get("phone"),
            "birth_date": birth_date,
            "summary": get("summary"),
            "extra": extra,
        }
        return values, row_hash(canonical)

    def _date(self, canonical: dict[str, Any], name: str) -> date | None:
        # Reads the field's date and writes its ISO form back into the canonical row, so every date style
        # hashes alike. ISO dates are most feeds' form: the C parser takes them, the tolerant one the rest.
        text = canonical.get(name)
        if text is None:
            return None
        known = self._dates.get(text)
        if known is None:
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
            known = (day, day.isoformat())
            if len(self._dates) >= _DATE_CACHE_SIZE:
                self._dates.clear()
            self._dates[text] = known
        canonical[name] = known[1]
        return known[0]


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
