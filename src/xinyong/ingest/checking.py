"""The checking side of a batch: its files read in chunks and every row mapped and validated, either here or,
for a large batch on a machine with a core to spare, in a worker process of its own that reads and checks
the next chunks while this process stores the one before.

Reading, mapping and validating are pure functions of the files, the catalog and the day, a third of a
load's time on one core; storing needs the store and goes on in the process that holds it. The worker runs
the very functions the in-process path runs (`check_chunk` over `read_rows`), so the chunks, their valid rows
and their rejections are the same either way, in the same order; only where they are computed differs. It
is started fresh (`spawn`: the caller may be running other threads, and a forked child would inherit their
locks), holds at most `WORKER_QUEUE` checked chunks ahead of the store, ends the moment this process goes
away (even when killed), and an error it meets reading a file (an unreadable Parquet batch, say) is raised here
as the same error, after the chunks before it, exactly where the in-process path would raise it.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue as queue_module
import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from multiprocessing.queues import Queue
from typing import Any, Final, NamedTuple

from xinyong import collector
from xinyong.errors import XinyongError
from xinyong.ingest.mapping import FieldMap
from xinyong.ingest.readers import Feed, read_rows
from xinyong.ingest.rows import Identity, RawRow, Rejection, ValidRow
from xinyong.ingest.spark_reader import spark_master_for
from xinyong.ingest.subjects import IdentityChecker
from xinyong.ingest.validation import RowValidator
from xinyong.processes import cores

#: Bytes of feed a batch must have before it is checked in a worker: below it (about 25,000 canonical rows,
#: hardly more than a chunk, so little to overlap) starting a fresh interpreter, about a second, costs more
#: than the overlap saves.
WORKER_MIN_BYTES: Final = 4 << 20
#: Checked chunks the worker may hold ahead of the store: memory stays bounded whatever the file's size.
WORKER_QUEUE: Final = 2
#: How often the ingest, waiting for a chunk, looks whether the worker is still there (seconds).
_ALIVE_CHECK_S: Final = 1.0


@dataclass(frozen=True, slots=True)
class Checks:
    """Everything checking a batch's rows takes, picklable as a whole: the files, what reads Parquet, the
    agency's column mapping, the validator (catalog, agency and day), the identifier checks (allow-list
    and day) and the rows per chunk."""

    feeds: tuple[Feed, ...]
    engine: str | None
    mapping: FieldMap
    validator: RowValidator
    identities: IdentityChecker
    chunk_rows: int


class CheckedChunk(NamedTuple):
    """One chunk of a batch's rows checked: the valid ones and the rejected ones with why, each in file
    order; every row read is one or the other."""

    valid: list[ValidRow]
    rejected: list[tuple[RawRow, Rejection]]

    @property
    def read(self) -> int:
        """The rows read."""
        return len(self.valid) + len(self.rejected)


def check_chunk(chunk: Sequence[RawRow], checks: Checks) -> CheckedChunk:
    """Map and validate one chunk of raw rows, a block (rows under one header) at a time, and check the
    identifiers of the valid ones."""
    valid: list[ValidRow] = []
    rejected: list[tuple[RawRow, Rejection]] = []
    identities = checks.identities.of_row
    for block in _blocks(chunk):
        checked = checks.validator.validate_block(checks.mapping.map_block(block))
        for raw, result in zip(block, checked, strict=True):
            if isinstance(result, Rejection):
                rejected.append((raw, result))
            else:
                values, row_hash = result
                valid.append(ValidRow(raw.file, raw.number, values[0], values, row_hash, *identities(values)))
    return CheckedChunk(valid, rejected)


def in_worker(checks: Checks, wanted: bool | None = None) -> bool:
    """Whether a batch is checked in a worker: as `wanted` when given, otherwise when its files hold at least
    WORKER_MIN_BYTES and this process may use two cores. Parquet read by Spark stays here (the Spark session
    belongs to this process), and so does a daemonic process's batch."""
    if any(feed.format == "parquet" for feed in checks.feeds) and spark_master_for(checks.engine) is not None:
        return False
    if multiprocessing.current_process().daemon:  # a daemonic process may not start one
        return False
    if wanted is not None:
        return wanted
    return cores() >= 2 and sum(feed.path.stat().st_size for feed in checks.feeds) >= WORKER_MIN_BYTES


@contextmanager
def checked_chunks(checks: Checks, *, worker: bool) -> Iterator[Iterator[CheckedChunk]]:
    """The batch's chunks, checked here or in a worker (stopped on the way out, however the caller leaves)."""
    if not worker:
        yield _here(checks)
        return
    context = multiprocessing.get_context("spawn")
    out: Queue[Any] = context.Queue(maxsize=WORKER_QUEUE)
    process = context.Process(target=_serve, args=(checks, out), name="xinyong-ingest-checks", daemon=True)
    # Started with Ctrl-C blocked, a mask the worker keeps: a terminal's Ctrl-C reaches the whole process
    # group, and the worker, in the middle of its imports, would print a traceback. The ingest decides
    # what Ctrl-C means and stops the worker; a Ctrl-C meanwhile waits for the mask's end, it is not lost.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        yield _received(out, process)
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        out.close()
        out.cancel_join_thread()


def _here(checks: Checks) -> Iterator[CheckedChunk]:
    rows = read_rows(checks.feeds, engine=checks.engine)
    for chunk in _chunks(rows, checks.chunk_rows):
        yield check_chunk(chunk, checks)


def _received(out: Queue[Any], process: multiprocessing.process.BaseProcess) -> Iterator[CheckedChunk]:
    while True:
        try:
            item = out.get(timeout=_ALIVE_CHECK_S)
        except queue_module.Empty:
            if process.is_alive():
                continue
            try:  # it may have sent its last item just before it ended
                item = out.get(timeout=_ALIVE_CHECK_S)
            except queue_module.Empty:
                raise XinyongError(
                    f"the worker checking this batch's rows stopped (exit code {process.exitcode}) before the "
                    "end of the files; the chunks stored so far are kept, and running the same command again "
                    "stores the rest"
                ) from None
        item = pickle.loads(item)  # noqa: S301 - our own worker's bytes
        kind = item[0]
        if kind == "chunk":
            yield _unpacked(*item[1:])
        elif kind == "error":
            raise _rebuilt(*item[1:])
        elif kind == "failed":
            raise RuntimeError(f"the worker checking this batch's rows failed: {item[1]}")
        else:
            return


def _serve(checks: Checks, out: Queue[Any]) -> None:
    # The worker: every chunk checked and handed over in order, then "done" (or the error that ended it).
    _end_with_parent()

    def send(item: tuple[Any, ...]) -> None:
        # Pickled here rather than in the queue's own thread, which would report a value it cannot pickle on
        # stderr and drop the chunk: here the error ends the batch, and no row goes missing.
        out.put(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))

    try:
        with collector.paced():
            for checked in _here(checks):
                send(("chunk", *_packed(checked)))
    except XinyongError as exc:
        send(("error", type(exc), exc.message, exc.field))
    except Exception as exc:  # a defect: the caller raises it with its text
        send(("failed", f"{type(exc).__name__}: {exc}"))
    else:
        send(("done",))


#: A chunk as the worker sends it: each valid row as (file, number, values, row_hash, index of its
#: subject's identity, index of its representative's); the distinct identities as plain tuples (index 0:
#: none); the rejected rows. A named tuple costs pickle a class look-up per object: a row and its identities
#: as named tuples took 8 µs to pickle and 9 µs to unpickle, in this form 6 and 5 µs.
_Packed = tuple[list[tuple[str, int, tuple[Any, ...], str, int, int]], list[tuple[Any, ...] | None], Any]


def _packed(checked: CheckedChunk) -> _Packed:
    table: dict[Identity | None, int] = {None: 0}
    rows = [
        (
            row.file,
            row.number,
            row.values,
            row.row_hash,
            table.setdefault(row.subject, len(table)),
            table.setdefault(row.rep, len(table)),
        )
        for row in checked.valid
    ]
    return rows, [tuple(identity) if identity else None for identity in table], checked.rejected


def _unpacked(
    rows: list[tuple[str, int, tuple[Any, ...], str, int, int]],
    table: list[tuple[Any, ...] | None],
    rejected: list[tuple[RawRow, Rejection]],
) -> CheckedChunk:
    identities = [Identity(*fields) if fields else None for fields in table]
    valid = [
        ValidRow(file, number, values[0], values, row_hash, identities[subject], identities[rep])
        for file, number, values, row_hash, subject, rep in rows
    ]
    return CheckedChunk(valid, rejected)


def _end_with_parent() -> None:
    # A watch that ends this process the moment its parent is gone, however it went (SIGKILL included) and
    # wherever this one is: waiting to hand over a chunk, or in the queue's thread writing one to a pipe that
    # nobody will read again, which exiting the usual way would wait for forever.
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="xinyong-parent-watch", daemon=True).start()


def _rebuilt(error_type: type[XinyongError], message: str, field: str | None) -> XinyongError:
    # The worker's error as the caller's own: its class where the class takes (message, field=), else the base.
    try:
        return error_type(message, field=field)
    except TypeError:
        return XinyongError(message, field=field)


def _blocks(rows: Sequence[RawRow]) -> Iterator[Sequence[RawRow]]:
    # Runs of rows under one header (a file's, a sheet's, or JSON Lines rows with the same keys).
    start = 0
    header = rows[0].header if rows else ()
    for position in range(1, len(rows)):
        now = rows[position].header
        if now is not header and now != header:
            yield rows[start:position]
            start, header = position, now
    if rows:
        yield rows[start:]


def _chunks(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
