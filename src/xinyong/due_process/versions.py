"""Record versions for due process: the domain view of stored versions, and the next version a decision
makes (a withdrawal, a correction, a repair, a served notice). The old version is always kept."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from xinyong.clock import cst_day
from xinyong.domain.records import RecordVersion, record_key
from xinyong.store import RecordData, RecordRow, records

_DATA_FIELDS = tuple(f.name for f in fields(RecordData))
#: Where a version made by due process names the step that made it (`objection:O…`, `repair:R…`).
CAUSE_FIELD = "due_process"


def histories(rows: Iterable[RecordRow], subject_key: str | None) -> dict[str, list[RecordVersion]]:
    """Versions grouped by record key, each history oldest first."""
    grouped: dict[str, list[RecordVersion]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r.agency, r.record_id, r.version)):
        grouped[record_key(row.agency, row.record_id)].append(records.to_domain(row, subject_key))
    return dict(grouped)


def day_before(instant: datetime) -> date:
    """The CST day before an instant's day: the last day of effect of something ended at that instant."""
    return cst_day(instant) - timedelta(days=1)


def ended_on(old: RecordRow, last_day: date) -> date:
    """`valid_to` for a version that ends the record on `last_day`, never later than it already ended."""
    return last_day if old.valid_to is None else min(old.valid_to, last_day)


def successor(
    old: RecordRow, cause: str, changes: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> RecordData:
    """The next version of a record: the old one's data with `changes`, naming the step that made it.

    The row hash is new, so the agency sending its old row again does not undo the decision: ingestion
    treats content any earlier version had as unchanged.
    """
    data = RecordData(**{name: getattr(old, name) for name in _DATA_FIELDS})
    merged_extra = {**dict(old.extra), **dict(extra or {}), CAUSE_FIELD: cause}
    digest = hashlib.sha256(
        json.dumps(
            {"previous": old.row_hash, "cause": cause, "changes": dict(changes), "extra": merged_extra},
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        ).encode("utf-8")
    ).hexdigest()
    return replace(
        data,
        **dict(changes),
        extra=merged_extra,
        row_hash=digest,
        batch_pk=None,
        source_file=None,
        source_row=None,
    )
