"""The audit log as a service: a batched writer for hot paths, signed checkpoints, and whole-log verification.

Screening checks are too many to audit one transaction each, so they are handed to an `AuditWriter`,
which writes them in bulk on a background thread. Checkpoints sign the log's Merkle head with the
registry's Ed25519 key (`<XINYONG_HOME>/audit_key.pem`, made on first use, readable by the owner only)
and are kept in `meta`, so `verify` can check the log against every head ever published.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection

from xinyong.audit import (
    ArchivedLeaf,
    AuditRow,
    Checkpoint,
    MerkleAccumulator,
    VerifyResult,
    generate_key,
    private_key_from_pem,
    private_key_to_pem,
    prove_extends,
    sign_checkpoint,
    verify_log,
)
from xinyong.audit.writers import check_writer_settings, not_written
from xinyong.clock import Clock, SystemClock
from xinyong.errors import ConfigError, InvalidInput, NotFound, StoreError
from xinyong.store import Store, audit_rows, meta
from xinyong.store.audit_rows import Event

log = logging.getLogger("xinyong.auditing")

KEY_FILE = "audit_key.pem"
#: `meta` keys: every signed checkpoint by size, and the running Merkle frontier they were signed from.
CHECKPOINT_PREFIX = "audit.checkpoint."
FRONTIER_KEY = "audit.frontier"
#: How many events one flush writes in one transaction at most.
DEFAULT_BATCH = 1000

__all__ = [
    "AuditSink",
    "AuditWriter",
    "Event",
    "checkpoint",
    "checkpoints",
    "consistency",
    "latest_checkpoint",
    "load_or_create_key",
    "log_size",
    "public_key_of",
    "record",
    "verify",
]


class AuditSink(Protocol):
    """What hot paths hand audit events to: `AuditWriter` (a thread) or `audit_worker.ProcessAuditWriter`."""

    @property
    def pending(self) -> int: ...

    @property
    def written(self) -> int: ...

    @property
    def flushes(self) -> int: ...

    @property
    def last_error(self) -> str | None: ...

    def submit(self, event: Event) -> None: ...

    def submit_many(self, events: Iterable[Event]) -> None: ...

    def flush(self, timeout: float | None = 30.0) -> int: ...

    def close(self, timeout: float | None = 30.0) -> None: ...


class AuditWriter:
    """Takes audit events from hot paths without waiting, and writes them in bulk on its own thread.

    `submit` only appends to a queue in memory. A background thread writes whatever is queued, in
    transactions of up to `batch_size` events, every `flush_ms` milliseconds or as soon as a full
    batch is waiting. Nothing is dropped: when the database fails, the events stay queued and the
    write is retried; `flush` waits until everything submitted before it is written.
    """

    def __init__(self, store: Store, *, flush_ms: int = 200, batch_size: int = DEFAULT_BATCH) -> None:
        check_writer_settings(flush_ms, batch_size)
        self._store = store
        self._interval = flush_ms / 1000
        self._batch_size = batch_size
        self._queue: deque[Event] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._written_cv = threading.Condition(self._lock)
        self._submitted = 0
        self._written = 0
        self._flushes = 0
        self._urgent = False
        self._closed = False
        self._last_error: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """Events submitted and not yet written."""
        return self._submitted - self._written

    @property
    def written(self) -> int:
        """Events written so far."""
        return self._written

    @property
    def flushes(self) -> int:
        """Transactions committed so far (one per bulk write)."""
        return self._flushes

    @property
    def last_error(self) -> str | None:
        """The last write failure, None once a write succeeds again."""
        return self._last_error

    def submit(self, event: Event) -> None:
        """Queue one event; never touches the database, so a screening answer is not held up."""
        with self._lock:
            if self._closed:
                raise StoreError("the audit writer is closed; no further events can be recorded")
            self._queue.append(event)
            self._submitted += 1
            if self._thread is None:
                self._start()
            if len(self._queue) >= self._batch_size:
                self._wake.notify()

    def submit_many(self, events: Iterable[Event]) -> None:
        """Queue several events at once (a batch check)."""
        with self._lock:
            if self._closed:
                raise StoreError("the audit writer is closed; no further events can be recorded")
            before = len(self._queue)
            self._queue.extend(events)
            self._submitted += len(self._queue) - before
            if self._thread is None:
                self._start()
            if len(self._queue) >= self._batch_size:
                self._wake.notify()

    def flush(self, timeout: float | None = 30.0) -> int:
        """Write everything submitted so far and wait for it; returns how many events are written in all."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            target = self._submitted
            if self._written >= target:
                return self._written
            if self._thread is None:
                self._start()
            self._urgent = True
            self._wake.notify()
            while self._written < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise not_written(timeout, target - self._written, self._last_error)
                self._written_cv.wait(remaining)
            return self._written

    def close(self, timeout: float | None = 30.0) -> None:
        """Write what is queued, then stop the thread; later submits are refused."""
        try:
            self.flush(timeout)
        finally:
            with self._lock:
                self._closed = True
                self._wake.notify()
                thread = self._thread
            if thread is not None:
                thread.join(timeout)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="xinyong-audit-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue and not self._closed:
                    self._wake.wait(self._interval)
                elif len(self._queue) < self._batch_size and not (self._urgent or self._closed):
                    # Let a partial batch fill up until the interval is over or someone asks for a flush.
                    self._wake.wait(self._interval)
                if not self._queue:
                    self._urgent = False
                    if self._closed:
                        return
                    continue
                n = min(len(self._queue), self._batch_size)
                batch = [self._queue.popleft() for _ in range(n)]
            try:
                with self._store.unit_of_work() as conn:
                    audit_rows.record(conn, batch)
            except Exception as exc:
                # The writer thread must survive a database outage: keep the events, retry later.
                with self._lock:
                    self._queue.extendleft(reversed(batch))
                    self._last_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
                    closed = self._closed
                log.error("audit write of %d events failed, will retry: %s", len(batch), self._last_error)
                if closed:
                    return
                time.sleep(min(self._interval * 5, 2.0))
                continue
            with self._lock:
                self._written += len(batch)
                self._flushes += 1
                self._last_error = None
                if not self._queue:
                    self._urgent = False
                self._written_cv.notify_all()


def record(store: Store, events: Iterable[Event]) -> None:
    """Write events now, in one transaction of their own (for entries that go with no other change)."""
    with store.unit_of_work() as conn:
        audit_rows.record(conn, events)


def load_or_create_key(home: Path) -> Ed25519PrivateKey:
    """The registry's checkpoint signing key from `<home>/audit_key.pem`, made (mode 0600) on first use."""
    path = Path(home) / KEY_FILE
    try:
        return private_key_from_pem(path.read_bytes())
    except FileNotFoundError:
        pass
    except InvalidInput as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
    key = generate_key()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process made it first; use theirs so there is only ever one key.
        return load_or_create_key(home)
    except OSError as exc:
        raise ConfigError(f"cannot create the audit signing key {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(private_key_to_pem(key))
    return key


def public_key_of(home: Path) -> Ed25519PublicKey | None:
    """The checkpoint verification key, None when no key was ever made in this home."""
    path = Path(home) / KEY_FILE
    if not path.exists():
        return None
    return load_or_create_key(home).public_key()


def checkpoint(store: Store, key: Ed25519PrivateKey, clock: Clock | None = None) -> Checkpoint:
    """Sign the log's current head and keep it in `meta`; an unchanged log gets its latest checkpoint back.

    The Merkle frontier is kept next to the checkpoints, so signing reads only the entries added since.
    """
    at = (clock or SystemClock()).now()
    with store.unit_of_work() as conn:
        # Hold the append lock, so the head read here is the head the frontier is extended to.
        audit_rows.tail(conn, lock=True)
        acc = _frontier(meta.get(conn, FRONTIER_KEY))
        size = audit_rows.size(conn)
        if acc.size > size:
            raise StoreError(
                f"the audit log has {size} entries but {acc.size} were signed before: entries were removed"
            )
        latest = _latest(conn)
        if latest is not None and latest.size == size:
            return latest
        acc.extend(audit_rows.leaves(conn, acc.size + 1))
        signed = sign_checkpoint(acc.size, acc.root(), at, key)
        meta.put(conn, _checkpoint_key(signed.size), json.dumps(signed.to_dict()))
        meta.put(conn, FRONTIER_KEY, json.dumps({"size": acc.size, "frontier": [h.hex() for h in acc.frontier]}))
    return signed


def latest_checkpoint(store: Store) -> Checkpoint | None:
    """The most recent signed checkpoint, None before the first."""
    with store.connect() as conn:
        return _latest(conn)


def checkpoints(store: Store) -> list[Checkpoint]:
    """Every signed checkpoint, smallest first."""
    with store.connect() as conn:
        return _all_checkpoints(conn)


def consistency(store: Store, old_size: int, new_size: int) -> tuple[Checkpoint, list[bytes]]:
    """The checkpoint signed at `new_size` entries and the proof that it extends the first `old_size`."""
    if old_size < 0 or new_size < 0:
        raise InvalidInput("tree sizes are not negative", field="old" if old_size < 0 else "new")
    if old_size > new_size:
        raise InvalidInput(f"{old_size} is larger than new ({new_size})", field="old")
    with store.connect() as conn:
        stored = meta.get(conn, _checkpoint_key(new_size))
        if stored is None:
            raise NotFound(f"no checkpoint was signed at size {new_size}", field="new")
        new = Checkpoint.from_dict(json.loads(stored))
        leaves = list(audit_rows.leaves(conn, 1, new_size))
    old_stub = Checkpoint(old_size, new.root_hex, new.at, new.key_id, new.signature_hex)
    return new, prove_extends(old_stub, new, leaves)


def log_size(store: Store) -> int:
    """How many entries the audit log holds."""
    with store.connect() as conn:
        return audit_rows.size(conn)


def verify(store: Store, public_key: Ed25519PublicKey | None) -> VerifyResult:
    """Check every entry and every signed checkpoint; the result names the first entry that broke.

    Without a public key only the entries are checked; checkpoints then need the key that signed them.
    """
    with store.connect() as conn:
        signed = _all_checkpoints(conn)
        if signed and public_key is None:
            raise ConfigError(f"{len(signed)} signed checkpoints need the public key to be checked")
        watched = _IndexWatch(audit_rows.iter_log(conn))
        result = verify_log(watched, checkpoints=signed, public_key=public_key)
        if not result.ok:
            return result
        broken = _index_problem(conn, watched.digest(), result.checked)
        if broken is None:
            return result
        first_bad, problem = broken
        return replace(result, ok=False, first_bad_seq=first_bad, problem=problem, root_hex=None, chain_hex=None)


class _IndexWatch:
    """Passes the log's rows through, tallying the access index rows their entries call for."""

    def __init__(self, rows: Iterable[AuditRow | ArchivedLeaf]) -> None:
        self._rows = rows
        self._expected: list[audit_rows.IndexRow] = []
        self._count = 0
        self._total = 0

    def __iter__(self) -> Iterator[AuditRow | ArchivedLeaf]:
        for row in self._rows:
            # An archived entry's index rows went with its month.
            wanted = [] if isinstance(row, ArchivedLeaf) else audit_rows.index_rows(row)
            if wanted:
                count, total = audit_rows.index_digest(wanted)
                self._count += count
                self._total = (self._total + total) % (1 << 64)
            yield row

    def digest(self) -> tuple[int, int]:
        return self._count, self._total


def _index_problem(conn: Connection, expected: tuple[int, int], size: int) -> tuple[int | None, str] | None:
    """None when the access index holds exactly the rows the log's entries call for; else the first entry
    it disagrees with (found by halving, only when something is wrong) and what is wrong."""
    if audit_rows.index_digest(audit_rows.iter_index(conn)) == expected:
        return None

    def agree(last: int) -> bool:
        wanted = (item for row in audit_rows.iter_rows(conn, 1, last) for item in audit_rows.index_rows(row))
        return audit_rows.index_digest(wanted) == audit_rows.index_digest(audit_rows.iter_index(conn, 1, last))

    if agree(size):
        return None, f"the access index has rows for entries after the last one ({size})"
    low, high = 1, size
    while low < high:
        middle = (low + high) // 2
        if agree(middle):
            low = middle + 1
        else:
            high = middle
    return low, (
        f"the access index does not match entry {low} (a row was removed, added or changed): the access "
        "logs of the subjects it lists would not show it as it was written"
    )


def _checkpoint_key(size: int) -> str:
    # Zero-padded so the keys sort by size.
    return f"{CHECKPOINT_PREFIX}{size:015d}"


def _latest(conn: Connection) -> Checkpoint | None:
    stored = meta.with_prefix(conn, CHECKPOINT_PREFIX)
    if not stored:
        return None
    return Checkpoint.from_dict(json.loads(stored[max(stored)]))


def _all_checkpoints(conn: Connection) -> list[Checkpoint]:
    stored = meta.with_prefix(conn, CHECKPOINT_PREFIX)
    return [Checkpoint.from_dict(json.loads(stored[k])) for k in sorted(stored)]


def _frontier(stored: str | None) -> MerkleAccumulator:
    if stored is None:
        return MerkleAccumulator()
    data = json.loads(stored)
    return MerkleAccumulator.from_frontier(int(data["size"]), [bytes.fromhex(h) for h in data["frontier"]])
