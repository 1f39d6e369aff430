"""Who acts, and finding what a due-process request is about: the subject by its identifier or key, and
one of its records by `AGENCY:RECORD_ID`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from xinyong.catalog.model import Catalog
from xinyong.errors import InvalidInput, NotFound
from xinyong.ids import registry
from xinyong.store import Connection, RecordRow, SubjectRow, records, subjects

_SUBJECT_KEY = re.compile(r"^S\d{8}$")
#: The longest free text (grounds, reasons) a due-process step keeps, as its columns allow.
TEXT_MAX = 4000
#: The system's own name in the audit log, for steps nobody took by hand (an escalation).
SYSTEM_ACTOR = "xinyong.due_process"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who takes a step, as the audit log names them: a principal's name and role."""

    name: str
    role: str


def find_subject(conn: Connection, raw: str) -> SubjectRow:
    """The subject named by a USCC, resident ID or internal key (`S00000042`)."""
    text = raw.strip()
    if _SUBJECT_KEY.fullmatch(text.upper()):
        row = subjects.get_by_key(conn, text.upper())
    else:
        check = registry.check(text)
        if not check.valid or check.normalized is None:
            raise InvalidInput(f"{text!r} is not a valid USCC, resident ID or subject key: {check.reason}", field="id")
        row = subjects.get_by_id_value(conn, check.normalized)
    if row is None:
        raise NotFound(f"the registry holds no subject {registry_display(text)}", field="id")
    return row


def registry_display(raw: str) -> str:
    """An identifier as an error message may show it: a person's number masked."""
    check = registry.check(raw)
    return (registry.mask(check) or raw) if check.valid else raw


def parse_record_ref(catalog: Catalog, ref: str) -> tuple[str, str]:
    """`AGENCY:RECORD_ID` split at the first colon (agency codes have none); the agency must be in the catalog."""
    agency, sep, record_id = ref.strip().partition(":")
    if not sep or not agency or not record_id.strip():
        raise InvalidInput(f"{ref!r} is not AGENCY:RECORD_ID", field="record")
    if agency not in catalog.agencies:
        raise InvalidInput(f"{agency!r} is not an agency in the catalog", field="record")
    return agency, record_id.strip()


def find_record(conn: Connection, catalog: Catalog, subject: SubjectRow, ref: str) -> RecordRow:
    """The current version of one of the subject's records; another subject's record is not found."""
    agency, record_id = parse_record_ref(catalog, ref)
    row = records.current(conn, agency, record_id)
    if row is None or row.subject_pk != subject.pk:
        # The same answer whether the record is missing or someone else's, so it leaks nothing.
        raise NotFound(f"subject {subject.key} has no record {agency}:{record_id}", field="record")
    return row


def subject_object(subject: SubjectRow) -> str:
    """The audit-log object a subject is known by: `subject:<USCC or resident ID>`, else its key."""
    return f"subject:{subject.id_value or subject.key}"


def subject_objects(subject: SubjectRow) -> set[str]:
    """Every audit-log object that stands for this subject (its identifier and its key)."""
    names = {f"subject:{subject.key}"}
    if subject.id_value:
        names.add(f"subject:{subject.id_value}")
    return names


def clean_text(raw: str, field: str) -> str:
    """Free text a person wrote (grounds, a reason): trimmed, present, and within its column."""
    text = raw.strip()
    if not text:
        raise InvalidInput("must not be empty", field=field)
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"must be at most {TEXT_MAX} characters (got {len(text)})", field=field)
    if any(not (ch.isprintable() or ch in "\n\t") for ch in text):
        raise InvalidInput("contains control characters", field=field)
    return text
