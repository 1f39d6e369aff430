"""Corrections an upheld objection makes to a record: canonical feed fields with new values, checked as
ingestion checks them. Who the record is about and what kind of record it is cannot be corrected here —
a wrong person is a withdrawal (or a linkage review), a wrong type a new record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from xinyong.catalog.fields import CANONICAL_FIELDS, VOCABULARIES
from xinyong.catalog.model import Catalog
from xinyong.dates import coerce_date, not_in_future
from xinyong.errors import InvalidInput
from xinyong.store import RecordRow
from xinyong.store.schema import RECORD_FIELD_LIMITS

#: Fields that say who and what the record is; changing them is not a correction of the facts.
FIXED_FIELDS = frozenset({"record_id", "record_type", "subject_kind", "subject_id"})
CORRECTABLE = tuple(name for name in CANONICAL_FIELDS if name not in FIXED_FIELDS)
_DATES = frozenset({"decided_on", "valid_from", "valid_to", "birth_date"})
_NOT_IN_FUTURE = frozenset({"decided_on", "birth_date"})
_REQUIRED = frozenset({"subject_name", "decided_on", "status"})
_MAX_AMOUNT = Decimal("1e16")
_CENT = Decimal("0.01")
#: The largest corrections file read; a correction is a handful of fields.
MAX_FILE_BYTES = 64 * 1024


def load_corrections(path: Path) -> dict[str, Any]:
    """The field changes in a JSON or YAML file (a mapping of canonical field to new value)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="correct") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(f"{path} is over {MAX_FILE_BYTES} bytes", field="correct")
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInput(f"{path} is not valid JSON or YAML: {first}", field="correct") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} must hold a mapping of field to new value", field="correct")
    return {str(k): v for k, v in data.items()}


def checked_changes(catalog: Catalog, old: RecordRow, changes: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The changes as record column values, each checked; only fields whose value really changes are kept."""
    if not changes:
        raise InvalidInput("a correction must change at least one field", field="correct")
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name in FIXED_FIELDS:
            raise InvalidInput("cannot be corrected by an objection (withdraw the record instead)", field=name)
        if name not in CORRECTABLE:
            raise InvalidInput(f"is not a canonical record field ({', '.join(CORRECTABLE)})", field=name)
        out[name] = _value(catalog, name, value, today)
    valid_from = out.get("valid_from", old.valid_from)
    valid_to = out.get("valid_to", old.valid_to)
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise InvalidInput(f"{valid_to} is before valid_from {valid_from}", field="valid_to")
    real = {name: value for name, value in out.items() if getattr(old, name) != value}
    if not real:
        raise InvalidInput("every value given is the record's value already", field="correct")
    return real


def _value(catalog: Catalog, name: str, value: Any, today: date) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        if name in _REQUIRED:
            raise InvalidInput("is required and cannot be cleared", field=name)
        return None
    if name in _DATES:
        day = coerce_date(value, name)
        return not_in_future(day, today, name) if name in _NOT_IN_FUTURE else day
    if name == "amount":
        return _amount(value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"{type(value).__name__} is not a text value", field=name)
    text = str(value).strip()
    allowed = VOCABULARIES.get(name)
    if allowed is not None and text not in allowed:
        raise InvalidInput(f"{text!r} is not one of {', '.join(sorted(allowed))}", field=name)
    if name == "legal_basis" and text not in catalog.legal_bases:
        raise InvalidInput(f"{text!r} is not a legal basis in the catalog", field=name)
    limit = RECORD_FIELD_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise InvalidInput(f"{len(text)} characters, over the limit of {limit}", field=name)
    return text


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not an amount in yuan", field="amount")
    try:
        amount = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(f"{str(value)[:40]!r} is not an amount in yuan", field="amount") from None
    if not amount.is_finite() or amount < 0 or amount >= _MAX_AMOUNT:
        raise InvalidInput(f"{str(value)[:40]!r} is not an amount in yuan from 0 to 16 digits", field="amount")
    cents = amount.quantize(_CENT)
    if cents != amount:
        raise InvalidInput(f"{str(value)[:40]!r} has fractions of a fen", field="amount")
    return cents
