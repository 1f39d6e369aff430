"""A batch: one agency's files read, mapped, validated and stored chunk by chunk, rejected rows quarantined.

Each chunk commits on its own with the batch's running counts, so a batch cut short (the process killed at
any moment) leaves whole chunks behind and its batch row `running` with the counts of the chunks it stored.
Running the same command again starts a new batch: the rows the first one stored come back `unchanged`
(their hash is already stored for their key), the rest are stored, and the store ends exactly as if the
first run had finished. The new batch's counts are what it did itself, so its `accepted` is short by the
rows the cut-short batch accepted; the two batch rows together account for every row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from xinyong import collector
from xinyong.catalog import Catalog, Source
from xinyong.catalog.fields import CANONICAL_FIELDS
from xinyong.clock import Clock, today
from xinyong.errors import InvalidInput, XinyongError
from xinyong.ids.allowlist import AllowList
from xinyong.ingest.checking import Checks, checked_chunks, in_worker
from xinyong.ingest.chunks import AGENCY_ROLE, BatchScope, commit_chunk
from xinyong.ingest.mapping import FieldMap, original_values
from xinyong.ingest.quarantine import Quarantine, quarantine_path
from xinyong.ingest.readers import Feed, header_of, open_feed
from xinyong.ingest.rows import RawRow
from xinyong.ingest.subjects import IdentityChecker, SubjectNamer
from xinyong.ingest.validation import RowValidator
from xinyong.store import BatchCounts, Store, audit_rows, batches
from xinyong.store.audit_rows import Event

#: Rows per chunk: each chunk is one transaction, so this bounds both memory and the work a crash can lose.
#: A commit writes every index page the chunk touched, and at a million rows a chunk of 5,000 touched nearly
#: as many pages as one of 20,000: the larger chunk made a million-row load a tenth faster.
CHUNK_ROWS: Final = 20_000


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What became of a batch's rows, as `xinyong ingest` prints it."""

    batch: int
    rows: int
    accepted: int
    rejected: int
    unchanged: int
    superseded: int
    quarantine: Path | None

    def as_dict(self) -> dict[str, Any]:
        """The contract's JSON shape, with `rows` and `quarantine` after the counts."""
        return {
            "batch": self.batch,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unchanged": self.unchanged,
            "superseded": self.superseded,
            "rows": self.rows,
            "quarantine": str(self.quarantine) if self.quarantine is not None else None,
        }


def ingest_paths(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    paths: Sequence[Path],
    agency: str,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    home: Path,
    allow_list: AllowList | None = None,
    chunk_rows: int = CHUNK_ROWS,
    advance: Callable[[int], None] | None = None,
    engine: str | None = None,
    worker: bool | None = None,
) -> BatchSummary:
    """Validate and store one agency's files as one batch; every file is checked before any row is stored.

    `engine` (duckdb or spark; by default XINYONG_ENGINE) says what reads Parquet feeds: pyarrow in this
    process, or Spark on XINYONG_SPARK_MASTER. The rows, and so what is stored, are the same either way.
    `worker` says whether the rows are read and checked in a worker process while this one stores (None: when
    the files are large enough to pay for it, `checking.in_worker`); again, what is stored is the same.
    """
    found = catalog.agencies.get(agency)
    if found is None:
        raise InvalidInput(f"unknown agency {agency!r}; `xinyong catalog` lists them", field="agency")
    if not paths:
        raise InvalidInput("no feed file given", field="path")
    store.check()
    source = catalog.sources.get(agency)
    mapping = FieldMap(source)
    feeds = [open_feed(Path(p), fmt=fmt, encoding=encoding, source=source) for p in paths]
    headers = [header_of(feed) for feed in feeds]
    for feed, header in zip(feeds, headers, strict=True):
        if header is not None:
            mapping.check_header(feed.label, header)
    day = today(clock)
    validator = RowValidator(catalog, found, day)
    with store.unit_of_work() as conn:
        batch = batches.start(
            conn,
            agency=agency,
            files=[str(feed.path) for feed in feeds],
            format=_batch_format(feeds),
            file_sha256=_content_hash(feeds),
            at=clock.now(),
        )
    scope = BatchScope(store, clock, agency, batch.pk, SubjectNamer(batch.pk))
    quarantine = Quarantine(quarantine_path(home, batch.pk), _quarantine_columns(headers, source))
    counts = BatchCounts()
    checks = Checks(tuple(feeds), engine, mapping, validator, IdentityChecker(allow_list, day), chunk_rows)
    try:
        with collector.paced(), checked_chunks(checks, worker=in_worker(checks, worker)) as chunks:
            for number, checked in enumerate(chunks, start=1):
                for raw, rejection in checked.rejected:
                    quarantine.add(raw, rejection)
                quarantine.flush()
                written = str(quarantine.written) if quarantine.written is not None else None
                counts = commit_chunk(
                    scope,
                    checked.valid,
                    counts,
                    read=checked.read,
                    rejected=len(checked.rejected),
                    chunk=number,
                    quarantine_path=written,
                )
                if advance is not None:
                    advance(checked.read)
    except BaseException:
        quarantine.close()
        with suppress(XinyongError):
            _finish(store, clock, agency, batch.pk, counts, quarantine.written, status="failed")
        raise
    quarantine.close()
    _finish(store, clock, agency, batch.pk, counts, quarantine.written, status="done")
    return BatchSummary(
        batch=batch.pk,
        rows=counts.rows,
        accepted=counts.accepted,
        rejected=counts.rejected,
        unchanged=counts.unchanged,
        superseded=counts.superseded,
        quarantine=quarantine.written,
    )


def _finish(
    store: Store,
    clock: Clock,
    agency: str,
    batch_pk: int,
    counts: BatchCounts,
    quarantine: Path | None,
    *,
    status: str,
) -> None:
    now = clock.now()
    with store.unit_of_work() as conn:
        batches.finish(
            conn,
            batch_pk,
            counts,
            at=now,
            status=status,
            quarantine_path=str(quarantine) if quarantine is not None else None,
        )
        detail = {
            "rows": counts.rows,
            "accepted": counts.accepted,
            "rejected": counts.rejected,
            "unchanged": counts.unchanged,
            "superseded": counts.superseded,
        }
        event = Event(now, agency, AGENCY_ROLE, "ingest", f"batch:{batch_pk}", result=status, detail=detail)
        audit_rows.record(conn, [event])


def _batch_format(feeds: Sequence[Feed]) -> str:
    formats = sorted({feed.format for feed in feeds})
    return formats[0] if len(formats) == 1 else "mixed"


def _content_hash(feeds: Sequence[Feed]) -> str:
    # One file: its own SHA-256, so an operator can compare it with `sha256sum`; several: a hash of theirs.
    if len(feeds) == 1:
        return feeds[0].sha256
    return hashlib.sha256("\n".join(feed.sha256 for feed in feeds).encode()).hexdigest()


def _quarantine_columns(headers: Sequence[tuple[str, ...] | None], source: Source | None) -> list[str]:
    # The first file's own columns; JSON Lines has no header, so the columns its agency is known to send.
    for header in headers:
        if header is not None:
            return list(original_values(RawRow("", 0, header, (None,) * len(header))))
    return list(source.columns) if source is not None else list(CANONICAL_FIELDS)
