"""The screening audit writer in a process of its own, so that writing the log never competes with answering.

`AuditWriter` (in `xinyong.auditing`) writes on a thread of the server's own process: every bulk write,
its hashing and its access-index rows hold that process's interpreter while checks wait. Under batch load
that costs more than half the answers. `ProcessAuditWriter` has the same methods and the same promises,
with the writing done by a child process (the `spawn` start method, so nothing of the server's threads is
copied) that opens its own connection to the same database:

- `submit` adds events to an outbox; a sender thread hands what gathered there to the child's queue every
  few milliseconds as one item (one pickling and one pipe write for many single checks, not one each, so the
  server's event loop is not interrupted once per check). It never touches the database.
- The child writes what it receives in transactions of up to `batch_size` events, every `flush_ms` or as soon
  as a full batch is waiting or a flush is asked for, and counts what it wrote in shared memory, in order.
- The parent keeps every event until the child's count has passed it. If the child dies, the next `submit`
  or `flush` starts another and hands it those events again: nothing is lost. A child killed between a
  commit and its count would have that one batch written twice (two entries saying the same check
  happened), never once less.
- A database failure is retried, as by the thread writer; `last_error` says what failed.
- At most `max_pending` events wait: beyond that, `submit` waits for the child (back-pressure), so a load
  the writer cannot sustain slows the answers to the writer's pace instead of filling memory.

The log's append lock (an advisory lock on PostgreSQL, the write lock on SQLite) keeps the child's appends
and the server's own audited changes in one unbroken chain.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue as queue_module
import threading
import time
from collections import deque
from collections.abc import Iterable
from multiprocessing.context import SpawnProcess
from multiprocessing.queues import Queue
from typing import Any, Final

from xinyong.audit.writers import check_writer_settings, not_written
from xinyong.errors import InvalidInput, StoreError
from xinyong.store import Store, audit_rows
from xinyong.store.audit_rows import Event

log = logging.getLogger("xinyong.audit_worker")

_FLUSH: Final = "flush"
_STOP: Final = "stop"
_ERROR_BYTES: Final = 512
#: How often a waiting `flush` looks at the child's count (and whether the child is still there).
_POLL_S: Final = 0.002
#: How long the child waits for events before it looks whether its parent is still there.
_PARENT_CHECK_S: Final = 1.0
#: How much lower the child's scheduling priority is than the server's (see `os.nice`).
WRITER_NICENESS: Final = 10
#: How long the sender lets events gather in the outbox before it hands them to the child together.
SEND_S: Final = 0.005
#: How long the sender waits before it tries again after it could not hand events over.
_RETRY_S: Final = 1.0


class ProcessAuditWriter:
    """Takes audit events without waiting and writes them in bulk in a child process (see the module)."""

    def __init__(self, url: str, *, flush_ms: int = 200, batch_size: int = 1000, max_pending: int = 20_000) -> None:
        if max_pending < 1:
            raise InvalidInput(f"{max_pending} is not a positive number of events", field="max_pending")
        check_writer_settings(flush_ms, batch_size)
        self._url = url
        self._interval = flush_ms / 1000
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._ctx = multiprocessing.get_context("spawn")
        # Written by the child only: events written (in the order submitted) and transactions committed.
        self._written = self._ctx.Value("q", 0, lock=False)
        self._flushes = self._ctx.Value("q", 0, lock=False)
        self._error = self._ctx.Array("c", _ERROR_BYTES, lock=False)
        self._lock = threading.Lock()
        self._kept: deque[Event] = deque()  # submitted and not yet counted as written, oldest first
        self._kept_from = 0  # how many events were submitted before the oldest one kept
        self._outbox: list[Event] = []  # submitted and not yet handed to the child's queue
        self._waiting = threading.Event()  # set when the outbox holds something
        self._sender: threading.Thread | None = None
        self._submitted = 0
        self._queue: Queue[Any] | None = None
        self._process: SpawnProcess | None = None
        self._closed = False
        self._restarts = 0

    @property
    def pending(self) -> int:
        """Events submitted and not yet written."""
        return self._submitted - int(self._written.value)

    @property
    def written(self) -> int:
        """Events written so far."""
        return int(self._written.value)

    @property
    def flushes(self) -> int:
        """Transactions committed so far (one per bulk write)."""
        return int(self._flushes.value)

    @property
    def restarts(self) -> int:
        """Times a child that had died was replaced."""
        return self._restarts

    @property
    def last_error(self) -> str | None:
        """The last write failure, None once a write succeeds again."""
        text = bytes(self._error.raw).rstrip(b"\0").decode("utf-8", "replace")
        return text or None

    def submit(self, event: Event) -> None:
        """Queue one event; never touches the database, so a screening answer is not held up."""
        self.submit_many((event,))

    def submit_many(self, events: Iterable[Event]) -> None:
        """Queue several events at once (a batch check).

        Only when `max_pending` events already wait does this wait too, until the child has caught up: under
        load the writer cannot sustain, answers slow to its pace rather than the queue outgrowing memory.
        """
        batch = list(events)
        if not batch:
            return
        while self.pending >= self._max_pending and not self._closed:
            time.sleep(_POLL_S)
            with self._lock:
                if not self._alive() and self._process is not None:
                    self._running()
        with self._lock:
            if self._closed:
                raise StoreError("the audit writer is closed; no further events can be recorded")
            self._forget_written()
            self._kept.extend(batch)
            self._submitted += len(batch)
            self._outbox.extend(batch)
            if self._sender is None:
                self._sender = threading.Thread(target=self._send, name="xinyong-audit-sender", daemon=True)
                self._sender.start()
        self._waiting.set()

    def _send(self) -> None:
        """The sender thread: wait for events, let more gather for `SEND_S`, hand them over together."""
        while True:
            self._waiting.wait()
            time.sleep(SEND_S)
            failed = False
            with self._lock:
                self._waiting.clear()
                if self._closed and not self._outbox:
                    return
                try:
                    self._hand_over()
                except Exception:  # e.g. a child that cannot be started: the events stay kept and outboxed
                    log.exception("the audit sender could not hand events to the writer process; will retry")
                    failed = True
            if failed:
                time.sleep(_RETRY_S)
                self._waiting.set()

    def _hand_over(self) -> Queue[Any]:
        """Put the outbox on the child's queue (under the lock); returns the queue."""
        queue = self._running()
        if self._outbox:
            queue.put(self._outbox)
            self._outbox = []
        return queue

    def flush(self, timeout: float | None = 30.0) -> int:
        """Write everything submitted so far and wait for it; returns how many events are written in all."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            target = self._submitted
            if self.written >= target:
                return self.written
            self._hand_over().put(_FLUSH)
        while self.written < target:
            if deadline is not None and time.monotonic() >= deadline:
                raise not_written(timeout, target - self.written, self.last_error)
            time.sleep(_POLL_S)
            with self._lock:
                if not self._alive():
                    self._running().put(_FLUSH)
        with self._lock:
            self._forget_written()
        return self.written

    def close(self, timeout: float | None = 30.0) -> None:
        """Write what is queued, then stop the child; later submits are refused."""
        try:
            self.flush(timeout)
        finally:
            with self._lock:
                self._closed = True
                if self._outbox:  # submitted after the flush above: still written before the stop
                    self._hand_over()
                process, queue = self._process, self._queue
            self._waiting.set()  # the sender, if any, sees the writer closed and ends
            if process is not None and queue is not None:
                queue.put(_STOP)
                process.join(timeout)
                if process.is_alive():
                    process.terminate()
                    process.join(5)
                queue.close()
                queue.join_thread()

    def _alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _running(self) -> Queue[Any]:
        """The child's queue, with a child reading it: started on first use, replaced when it has died."""
        if self._queue is not None and self._alive():
            return self._queue
        if self._process is not None:
            self._restarts += 1
            log.error("the audit writer process exited (code %s); starting another", self._process.exitcode)
            if self._queue is not None:
                self._queue.cancel_join_thread()
                self._queue.close()
        self._forget_written()
        queue: Queue[Any] = self._ctx.Queue()
        process = self._ctx.Process(
            target=serve,
            args=(self._url, queue, self._written, self._flushes, self._error, self._interval, self._batch_size),
            name="xinyong-audit-writer",
            daemon=True,
        )
        process.start()
        self._queue, self._process = queue, process
        if self._kept:
            # What the last child had not counted as written, in the order it was submitted (the outbox too).
            queue.put(list(self._kept))
        self._outbox = []
        return queue

    def _forget_written(self) -> None:
        written = int(self._written.value)
        while self._kept_from < written and self._kept:
            self._kept.popleft()
            self._kept_from += 1


def serve(url: str, queue: Queue[Any], written: Any, flushes: Any, error: Any, interval: float, size: int) -> None:
    """The child's loop: gather events until a batch is full, the interval is over or a flush is asked for,
    write them and count them; return when told to stop or when the parent has gone (after writing what it
    holds)."""
    # Below the server's priority: when both want a core, answers come first and the writer catches up in the
    # gaps (the queue and the back-pressure above bound what it may fall behind).
    os.nice(WRITER_NICENESS)
    store = Store(url)
    parent = multiprocessing.parent_process()
    held: list[Event] = []
    try:
        while True:
            try:
                item = queue.get(timeout=_PARENT_CHECK_S)
            except queue_module.Empty:
                if parent is not None and not parent.is_alive():
                    return
                continue
            control = _take(item, held)
            deadline = time.monotonic() + interval
            while held and len(held) < size and control is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    control = _take(queue.get(timeout=remaining), held)
                except queue_module.Empty:
                    break
            _write(store, held, written, flushes, error, interval, size, stopping=control == _STOP)
            if control == _STOP:
                return
    finally:
        store.dispose()


def _take(item: Any, held: list[Event]) -> str | None:
    """Add a queue item's events to `held`; returns the control word it was instead, if it was one."""
    if isinstance(item, str):
        return item
    if isinstance(item, list):
        held.extend(item)
    else:
        held.append(item)
    return None


def _write(
    store: Store,
    held: list[Event],
    written: Any,
    flushes: Any,
    error: Any,
    interval: float,
    size: int,
    *,
    stopping: bool,
) -> None:
    """Write `held` in transactions of up to `size` events, retrying a failed one until it succeeds (once
    only when stopping), and count each transaction's events once it is committed."""
    while held:
        batch = held[:size]
        try:
            with store.unit_of_work() as conn:
                audit_rows.record(conn, batch)
        except Exception as exc:  # the writer must outlive a database outage: keep the events, retry
            _set_error(error, f"{type(exc).__name__}: {exc}".splitlines()[0])
            log.error("audit write of %d events failed, will retry: %s", len(batch), _error_text(error))
            if stopping:
                return
            time.sleep(min(interval * 5, 2.0))
            continue
        del held[: len(batch)]
        written.value += len(batch)
        flushes.value += 1
        _set_error(error, "")


def _set_error(error: Any, text: str) -> None:
    raw = text.encode("utf-8")[: _ERROR_BYTES - 1]
    error.raw = raw + b"\0" * (_ERROR_BYTES - len(raw))


def _error_text(error: Any) -> str:
    return bytes(error.raw).rstrip(b"\0").decode("utf-8", "replace")
