"""Reads the catalog YAML (shipped, then a deployment's additions), validates it and resolves references."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from xinyong.catalog.fields import ALWAYS_REQUIRED, CANONICAL_FIELDS, VOCABULARIES
from xinyong.catalog.model import (
    Action,
    Agency,
    Catalog,
    LegalBasis,
    ListType,
    Measure,
    RatingModel,
    RecordType,
    Source,
)
from xinyong.errors import CatalogError

SHIPPED = Path(__file__).with_name("data")

# What a dangling reference is called in an error message.
_NOUNS = {
    "agencies": "agency",
    "legal_bases": "legal basis",
    "actions": "action",
    "lists": "list",
    "measures": "measure",
    "record_types": "record type",
    "sources": "source",
    "rating_models": "rating model",
}


@dataclass(frozen=True)
class _Kind:
    """One catalog file: the Catalog attribute it fills, the model of its entries and the key naming them."""

    attr: str
    model: type[BaseModel]
    key: str = "code"
    filename: str | None = None

    @property
    def file(self) -> str:
        return self.filename or f"{self.attr}.yaml"


KINDS: tuple[_Kind, ...] = (
    _Kind("agencies", Agency),
    _Kind("legal_bases", LegalBasis),
    _Kind("actions", Action),
    _Kind("lists", ListType),
    _Kind("measures", Measure),
    _Kind("record_types", RecordType),
    _Kind("sources", Source, key="agency"),
    _Kind("rating_models", RatingModel, filename="ratings.yaml"),
)
_BY_FILE = {kind.file: kind for kind in KINDS}


@dataclass(frozen=True)
class _Loaded:
    """A parsed entry and the file it came from, kept so later checks can name that file."""

    entry: Any
    file: str
    shipped: bool


def load_catalog(extra: Path | None = None) -> Catalog:
    """The shipped catalog plus a deployment's extra folder, validated; a broken entry raises CatalogError."""
    tables: dict[str, dict[str, _Loaded]] = {kind.attr: {} for kind in KINDS}
    _parse_folder(SHIPPED, tables, shipped=True)
    if extra is not None:
        if not extra.is_dir():
            raise CatalogError(str(extra), "-", "-", "the extra catalog folder does not exist")
        _parse_folder(extra, tables, shipped=False)
    _resolve(tables)
    return Catalog(**{attr: {code: row.entry for code, row in rows.items()} for attr, rows in tables.items()})


@lru_cache(maxsize=4)
def default_catalog(extra: Path | None = None) -> Catalog:
    """The catalog loaded once per process (per extra folder) and shared by every caller."""
    return load_catalog(extra)


# --- first pass: YAML → models -------------------------------------------------------------------


def _parse_folder(folder: Path, tables: dict[str, dict[str, _Loaded]], *, shipped: bool) -> None:
    for path in sorted(folder.iterdir()):
        if path.suffix not in {".yaml", ".yml"}:
            continue
        label = path.name if shipped else str(path)
        kind = _BY_FILE.get(path.name)
        if kind is None:
            known = ", ".join(sorted(_BY_FILE))
            raise CatalogError(label, "-", "-", f"unknown catalog file; expected one of {known}")
        rows = tables[kind.attr]
        for index, raw in enumerate(_read(path, label), start=1):
            name = _entry_name(raw, kind.key, index)
            entry = _validate(kind, raw, label, name)
            code = getattr(entry, kind.key)
            earlier = rows.get(code)
            if earlier is not None:
                if earlier.shipped and not shipped:
                    reason = f"replaces the entry shipped in {earlier.file}; a deployment may only add"
                else:
                    reason = f"duplicate code, already defined in {earlier.file}"
                raise CatalogError(label, code, kind.key, reason)
            rows[code] = _Loaded(entry, label, shipped)


def _read(path: Path, label: str) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CatalogError(label, "-", "-", "the file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise CatalogError(label, "-", "-", f"{problem}{where}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise CatalogError(label, "-", "-", "the file must be a YAML list of entries")
    return data


def _entry_name(raw: Any, key: str, index: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get(key), str) and raw[key]:
        return str(raw[key])
    return f"#{index}"


def _validate(kind: _Kind, raw: Any, label: str, name: str) -> Any:
    if not isinstance(raw, dict):
        raise CatalogError(label, name, "-", "an entry must be a mapping of fields")
    try:
        return kind.model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = first["msg"]
        given = first.get("input")
        if first["type"] != "missing" and isinstance(given, str | int | float | bool):
            reason = f"{reason} (got {given!r})"
        raise CatalogError(label, name, _field_path(first["loc"]), reason) from None


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(entry)"


# --- second pass: cross references ---------------------------------------------------------------


class _Refs:
    """Raises a CatalogError naming the referring file, entry and field when a reference dangles."""

    def __init__(self, tables: Mapping[str, Mapping[str, _Loaded]]) -> None:
        self.tables = tables

    def has(self, attr: str, code: str) -> bool:
        return code in self.tables[attr]

    def need(self, item: _Loaded, entry: str, field: str, attr: str, code: str | None) -> None:
        if code is not None and code not in self.tables[attr]:
            raise CatalogError(item.file, entry, field, f"unknown {_NOUNS[attr]} {code!r}")


def _resolve(tables: Mapping[str, Mapping[str, _Loaded]]) -> None:
    refs = _Refs(tables)
    for code, item in tables["lists"].items():
        _check_list(refs, code, item)
    for code, item in tables["measures"].items():
        _check_measure(refs, code, item)
    for code, item in tables["record_types"].items():
        _check_record_type(refs, code, item)
    for code, item in tables["sources"].items():
        _check_source(refs, code, item)
    for code, item in tables["rating_models"].items():
        _check_rating_model(refs, code, item)


def _check_list(refs: _Refs, code: str, item: _Loaded) -> None:
    entry: ListType = item.entry
    refs.need(item, code, "legal_basis", "legal_bases", entry.legal_basis)
    refs.need(item, code, "period_basis", "legal_bases", entry.period_basis)


def _check_measure(refs: _Refs, code: str, item: _Loaded) -> None:
    measure: Measure = item.entry
    refs.need(item, code, "list", "lists", measure.list)
    refs.need(item, code, "legal_basis", "legal_bases", measure.legal_basis)
    for i, basis in enumerate(measure.further_bases):
        refs.need(item, code, f"further_bases[{i}]", "legal_bases", basis)
    for i, action in enumerate(measure.actions):
        refs.need(item, code, f"actions[{i}]", "actions", action)
        if measure.actions.index(action) != i:
            raise CatalogError(item.file, code, f"actions[{i}]", f"action {action!r} is listed twice")
    target: ListType = refs.tables["lists"][measure.list].entry
    # An incentive list may only ease an action, and a disciplinary list may never ease one.
    if target.incentive != (measure.effect == "expedite"):
        kind = "an incentive" if target.incentive else "a disciplinary"
        raise CatalogError(item.file, code, "effect", f"{measure.effect!r} does not fit {kind} list")
    if measure.reaches_legal_rep and not target.reaches_legal_rep:
        reason = f"list {measure.list!r} does not reach legal representatives"
        raise CatalogError(item.file, code, "reaches_legal_rep", reason)


def _check_record_type(refs: _Refs, code: str, item: _Loaded) -> None:
    record_type: RecordType = item.entry
    refs.need(item, code, "legal_basis", "legal_bases", record_type.legal_basis)
    refs.need(item, code, "publicity_basis", "legal_bases", record_type.publicity_basis)
    refs.need(item, code, "objection_basis", "legal_bases", record_type.objection_basis)
    refs.need(item, code, "places_on", "lists", record_type.places_on)
    if record_type.repair is not None:
        refs.need(item, code, "repair.legal_basis", "legal_bases", record_type.repair.legal_basis)
    for i, name in enumerate(record_type.required_fields):
        if name not in CANONICAL_FIELDS:
            raise CatalogError(item.file, code, f"required_fields[{i}]", f"{name!r} is not a canonical field")
    for attr in ("list_when", "public_when"):
        condition: Mapping[str, tuple[str, ...]] | None = getattr(record_type, attr)
        for name, allowed in (condition or {}).items():
            _check_field_values(item, code, f"{attr}.{name}", name, allowed)
            if name not in record_type.required_fields:
                reason = f"{name!r} decides {attr} so it must be in required_fields"
                raise CatalogError(item.file, code, f"{attr}.{name}", reason)


def _check_source(refs: _Refs, code: str, item: _Loaded) -> None:
    source: Source = item.entry
    refs.need(item, code, "agency", "agencies", source.agency)
    agency: Agency = refs.tables["agencies"][source.agency].entry
    if source.format in {"xlsx", "parquet"} and source.encoding is not None:
        raise CatalogError(item.file, code, "encoding", f"a {source.format} feed carries no text encoding")
    for column, target in source.columns.items():
        if target not in CANONICAL_FIELDS:
            raise CatalogError(item.file, code, f"columns.{column}", f"{target!r} is not a canonical field")
    for name, value in source.constants.items():
        _check_field_values(item, code, f"constants.{name}", name, (value,))
    covered = set(source.columns.values()) | set(source.constants)
    for name in ALWAYS_REQUIRED:
        if name not in covered:
            raise CatalogError(item.file, code, "columns", f"no column maps to the required field {name!r}")
    for name, mapping in source.values.items():
        _check_field_values(item, code, f"values.{name}", name, tuple(mapping.values()))
        if name not in covered:
            raise CatalogError(item.file, code, f"values.{name}", f"no column maps to {name!r}")
        for raw, value in mapping.items():
            path = f"values.{name}.{raw}"
            if name == "record_type":
                refs.need(item, code, path, "record_types", value)
                record_type: RecordType = refs.tables["record_types"][value].entry
                if not record_type.allows(agency.kind):
                    reason = f"a {agency.kind} agency may not send {value!r}"
                    raise CatalogError(item.file, code, path, reason)
            elif name == "legal_basis":
                refs.need(item, code, path, "legal_bases", value)


def _check_rating_model(refs: _Refs, code: str, item: _Loaded) -> None:
    model: RatingModel = item.entry
    refs.need(item, code, "legal_basis", "legal_bases", model.legal_basis)
    for i, feature in enumerate(model.features):
        for j, record_type in enumerate(feature.record_types):
            refs.need(item, code, f"features[{i}].record_types[{j}]", "record_types", record_type)
    for i, event in enumerate(model.outcome.any_of if model.outcome else ()):
        for j, record_type in enumerate(event.record_types):
            refs.need(item, code, f"outcome.any_of[{i}].record_types[{j}]", "record_types", record_type)


def _check_field_values(item: _Loaded, code: str, path: str, name: str, values: tuple[str, ...]) -> None:
    if name not in CANONICAL_FIELDS:
        raise CatalogError(item.file, code, path, f"{name!r} is not a canonical field")
    vocabulary = VOCABULARIES.get(name)
    for value in _unknown(values, vocabulary):
        raise CatalogError(item.file, code, path, f"{value!r} is not one of {sorted(vocabulary or ())}")


def _unknown(values: tuple[str, ...], vocabulary: frozenset[str] | None) -> Iterator[str]:
    if vocabulary is not None:
        yield from (value for value in values if value not in vocabulary)
