"""`xinyong records`: every stored record version, one JSON object a line, streamed from the store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Annotated, Any, Final

import typer

from xinyong.bootstrap import build
from xinyong.cli.output import emit_jsonl
from xinyong.errors import InvalidInput
from xinyong.store import RecordRow, Store, SubjectRow, records, subjects
from xinyong.text import defuse_formula

#: Versions read, and their subjects looked up, per round trip.
CHUNK: Final = 2000


def version_lines(store: Store, agency: str | None = None) -> Iterator[dict[str, Any]]:
    """Every version as the contract's JSON object, in pk order, a chunk of versions and subjects at a time."""
    with store.connect() as conn:
        versions = records.iter_versions(conn, agency=agency, chunk=CHUNK)
        while chunk := list(islice(versions, CHUNK)):
            found = subjects.get_many(conn, {v.subject_pk for v in chunk if v.subject_pk is not None})
            for version in chunk:
                yield version_line(version, found)


def version_line(version: RecordRow, found: Mapping[int, SubjectRow]) -> dict[str, Any]:
    """One version: `subject` is the resolved subject's USCC or resident ID where it has one, else its key,
    null while pending. The record id is defused: it is the agency-written text here, and lines like these
    end up opened in spreadsheets."""
    subject = found.get(version.subject_pk) if version.subject_pk is not None else None
    return {
        "agency": version.agency,
        "record_id": defuse_formula(version.record_id),
        "record_type": version.record_type,
        "subject": None if subject is None else subject.id_value or subject.key,
        "link": version.link,
        "probability": version.link_probability,
        "current": version.current,
        "version": version.version,
        "recorded_at": version.recorded_at,
        "superseded_at": version.superseded_at,
        "batch": version.batch_pk,
    }


def records_cmd(
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency's records.")] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="One JSON object a line (the only form; accepted for scripts).")
    ] = False,
) -> None:
    """Every stored record version: agency, record_id, type, subject, link, probability, current."""
    with build() as services:
        if agency is not None and agency not in services.catalog.agencies:
            raise InvalidInput(f"unknown agency {agency!r}; `xinyong catalog` lists them", field="agency")
        for line in version_lines(services.store, agency):
            emit_jsonl(line)


def register(app: typer.Typer) -> None:
    """Add `records` to the app."""
    app.command("records")(records_cmd)
