"""The screening index: measures in force, in memory, keyed by identifier, so a check never touches the
database. It is built from the published targets and kept current from the change feed; the store stays
the truth and a restart rebuilds it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, compress
from typing import Any

import numpy as np
import orjson

from xinyong.catalog.model import Catalog
from xinyong.domain.decisions import Decision
from xinyong.domain.files import RoleFile, SubjectFile
from xinyong.domain.listings import Listing
from xinyong.domain.subjects import Role, SubjectRef
from xinyong.errors import InvalidInput
from xinyong.ids import batch, registry
from xinyong.rules.decisions import Applicable, applicable, decide_from, subject_of
from xinyong.store import Store, screening, subjects
from xinyong.store.screening import Target


@dataclass(frozen=True, slots=True)
class BatchError:
    """A line of a batch check that is not a valid identifier: reported, never silently allowed."""

    id: str
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "error": self.error, "field": "id"}


Result = Decision | BatchError

#: Decisions (and their JSON) kept per action and day before that day's cache starts over.
DECISION_CACHE_MAX = 2_000_000
#: (action, day) pairs with a decision cache before all of them start over.
DAYS_CACHED = 64

# The batch answer is assembled from two pieces per ID: the ID, and a tail that closes its string, holds the
# rest of its decision and opens the next line (`",` + decision + `,{"id":"`); the first ID comes after
# `{"decisions":[{"id":"` and the last tail ends the document. Only IDs that failed the check-character gate
# can hold characters JSON must escape, and those are escaped one by one.
_OPEN = b'{"decisions":[{"id":"'
_AFTER_ID = b'",'
_NEXT = b',{"id":"'
_CLOSE = b"]}"
_EMPTY = b'{"decisions":[]}'


def normalized_id(raw: str) -> str:
    """A valid identifier in normal form, or InvalidInput naming why (a wrong check digit is never allowed)."""
    result = registry.check(raw)
    if not result.valid or result.normalized is None:
        raise InvalidInput(f"{raw!r} is not a valid USCC or resident ID: {result.reason}", field="id")
    return result.normalized


def file_from(targets: Iterable[Target]) -> SubjectFile:
    """The subject file the rules need, rebuilt from one subject's published targets."""
    items = list(targets)
    first = items[0]
    subject = SubjectRef(
        kind="org" if first.target_kind == "org" else "person",
        key=subjects.subject_key(first.target_pk),
        id=first.target_id,
        name=first.target_name,
    )
    own: list[Listing] = []
    via: list[RoleFile] = []
    for t in sorted(items, key=lambda t: t.key):
        listing = Listing(
            list_code=t.list_code,
            record_key=t.record_key,
            agency=t.agency,
            subject_key=subject.key,
            link="id",  # only id and confirmed links are ever published
            decision_no=t.decision_no,
            legal_basis=t.legal_basis,
            noticed_on=None,
            start=t.valid_from,
            end=t.valid_to,
        )
        if t.via_role is None:
            own.append(listing)
        else:
            org = SubjectRef(kind="org", key=t.via_id or "", id=t.via_id, name="")
            role = Role(role=t.via_role, org=org, valid_from=t.valid_from, valid_to=t.valid_to)
            via.append(RoleFile(role, (listing,)))
    return SubjectFile(subject=subject, listings=tuple(own), roles=tuple(via))


@dataclass(frozen=True, slots=True)
class BatchTally:
    """What a batch check found, for its audit entry and the metrics: the subjects on file (as audit objects,
    `subject:<id>`) with their effects, and how many IDs were checked and how many were not valid."""

    ids: int
    invalid: int
    objects: list[str]
    effects: list[str]

    @classmethod
    def of(cls, results: Sequence[Result]) -> BatchTally:
        """The tally of decisions already made (the CLI's, a single check's)."""
        hits = [r for r in results if isinstance(r, Decision) and r.subject is not None]
        objects = [f"subject:{d.subject['id']}" for d in hits if d.subject is not None]
        invalid = sum(1 for r in results if isinstance(r, BatchError))
        return cls(len(results), invalid, objects, [d.effect for d in hits])


@dataclass(slots=True)
class _Day:
    """Decisions of one action on one day for subjects on file, each made from the subject's current file: a
    refresh drops the entries of the subjects it touched (see `ScreeningIndex._forget`)."""

    allow: Decision
    #: The decision of an ID nobody is listed under, as JSON without its opening brace.
    allow_line: bytes
    #: Its tail in a batch answer (see `_OPEN`).
    allow_tail: bytes
    decisions: dict[str, Decision] = field(default_factory=dict)
    #: identifier → (decision as JSON without its opening brace, tail in a batch answer, effect, audit object)
    lines: dict[str, tuple[bytes, bytes, str, str]] = field(default_factory=dict)


class ScreeningIndex:
    """Identifier → the subject's file, for every subject a measure reaches at some date."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.cursor = 0
        self._targets: dict[str, dict[tuple[str, int], Target]] = {}
        self._files: dict[str, SubjectFile] = {}
        # The same identifiers as a set: a set membership test is the cheapest look-up Python has, and a batch
        # makes one per ID; the files are looked up for the hits only.
        self._known: set[str] = set()
        # (identifier, action) → the file it was made from and what could apply on any day; made on first use.
        self._candidates: dict[tuple[str, str], tuple[SubjectFile, dict[str, Any], tuple[Applicable, ...]]] = {}
        # (action, day) → decisions and their JSON: the same subject is checked many times a day (booking,
        # boarding), and only a refresh (a new file) changes the answer.
        self._days: dict[tuple[str, date], _Day] = {}
        self._lock = threading.Lock()

    @classmethod
    def build(cls, store: Store, catalog: Catalog) -> ScreeningIndex:
        """Load every published target; replaying the events after the starting cursor is idempotent."""
        index = cls(catalog)
        with store.connect() as conn:
            index.cursor = screening.last_event_seq(conn)
            for target in screening.iter_targets(conn):
                index._targets.setdefault(target.target_id or "", {})[target.key] = target
        index._files = {tid: file_from(ts.values()) for tid, ts in index._targets.items()}
        index._known = set(index._files)
        index.refresh(store)
        return index

    def refresh(self, store: Store, *, limit: int = 10_000) -> int:
        """Apply the feed's events since the cursor; returns how many were applied."""
        applied = 0
        while True:
            with store.connect() as conn:
                events = screening.events_after(conn, self.cursor, limit=limit)
            if not events:
                return applied
            with self._lock:
                touched: set[str] = set()
                for event in events:
                    tid = event.target.target_id
                    if tid is None:
                        continue
                    bucket = self._targets.setdefault(tid, {})
                    if event.event == "removed":
                        bucket.pop(event.target.key, None)
                    else:
                        bucket[event.target.key] = event.target
                    touched.add(tid)
                for tid in touched:
                    if self._targets.get(tid):
                        self._files[tid] = file_from(self._targets[tid].values())
                        self._known.add(tid)
                    else:
                        self._known.discard(tid)
                        self._targets.pop(tid, None)
                        self._files.pop(tid, None)
                self._forget(touched)  # after the files changed: see `_keep`
                self.cursor = events[-1].seq
            applied += len(events)

    def __len__(self) -> int:
        return len(self._files)

    def file(self, id_value: str) -> SubjectFile | None:
        return self._files.get(id_value)

    def _day(self, action: str, at: date) -> _Day:
        found = self._days.get((action, at))
        if found is None:
            if action not in self.catalog.actions:
                raise InvalidInput(f"unknown action {action!r}", field="action")
            if len(self._days) >= DAYS_CACHED:
                self._days = {}
            allow = Decision(subject=None, action=action, at=at, effect="allow")
            line = orjson.dumps(allow.as_dict())[1:]
            found = self._days[(action, at)] = _Day(allow, line, _AFTER_ID + line + _NEXT)
        return found

    def _forget(self, touched: Iterable[str]) -> None:
        """Drop the cached answers of subjects whose file a refresh replaced or removed."""
        days = list(self._days.values())
        for tid in touched:
            for day in days:
                day.decisions.pop(tid, None)
                day.lines.pop(tid, None)

    def _keep(self, cache: dict[str, Any], code: str, file: SubjectFile, value: Any) -> None:
        """Cache an answer made from `file`, unless a refresh replaced the file meanwhile. A refresh replaces
        files first and forgets answers second, so either it forgets this one or the test below sees the new
        file: a cached answer is never from a replaced file for longer than the refresh takes."""
        cache[code] = value
        if self._files.get(code) is not file:
            cache.pop(code, None)

    def _decide(self, day: _Day, code: str, file: SubjectFile) -> Decision:
        cached = day.decisions.get(code)
        if cached is not None:
            return cached
        action = day.allow.action
        candidates = self._candidates.get((code, action))
        if candidates is None or candidates[0] is not file:
            if len(self._candidates) > DECISION_CACHE_MAX:
                self._candidates = {}
            candidates = (file, subject_of(file), applicable(file, action, self.catalog))
            self._candidates[(code, action)] = candidates
        if len(day.decisions) > DECISION_CACHE_MAX:
            day.decisions.clear()
        decision = decide_from(candidates[1], candidates[2], action, day.allow.at)
        self._keep(day.decisions, code, file, decision)
        return decision

    def _line(self, day: _Day, code: str, file: SubjectFile) -> tuple[bytes, bytes, str, str]:
        cached = day.lines.get(code)
        if cached is not None:
            return cached
        decision = self._decide(day, code, file)
        if len(day.lines) > DECISION_CACHE_MAX:
            day.lines.clear()
        line = orjson.dumps(decision.as_dict())[1:]
        made = (line, _AFTER_ID + line + _NEXT, decision.effect, f"subject:{file.subject.id or code}")
        self._keep(day.lines, code, file, made)
        return made

    def check(self, raw_id: str, action: str, at: date) -> Decision:
        """One decision; an invalid identifier is an error, an unknown one is allowed with no subject."""
        day = self._day(action, at)
        found = self._files.get(raw_id)  # a key of the index is a valid identifier in normal form
        if found is not None:
            return self._decide(day, raw_id, found)
        code = normalized_id(raw_id)
        found = self._files.get(code)
        return day.allow if found is None else self._decide(day, code, found)

    def check_json(self, raw_id: str, action: str, at: date) -> tuple[bytes, Decision]:
        """One decision as `check` makes it, with its JSON (kept per day for subjects on file)."""
        day = self._day(action, at)
        code = raw_id
        found = self._files.get(code)
        if found is None:
            code = normalized_id(raw_id)
            found = self._files.get(code)
            if found is None:
                return b"{" + day.allow_line, day.allow
        line = self._line(day, code, found)
        return b"{" + line[0], self._decide(day, code, found)

    def check_batch(self, ids: Sequence[str], action: str, at: date) -> list[Result]:
        """Decisions in the same order; the common "no measure" case costs one set membership test."""
        day = self._day(action, at)
        # The miss path is one set membership test per ID and one vectorised check-character gate; Python
        # works only on the hits and the lines that failed the gate.
        out: list[Result] = [day.allow] * len(ids)
        files, decisions, decide_ = self._files, day.decisions, self._decide
        on_file, lines = _scan(self._known, ids)
        for i in compress(range(len(ids)), on_file):
            code = ids[i]
            cached = decisions.get(code)  # the common hit: one look-up in a table a tenth the size of the files
            if cached is not None:
                out[i] = cached
                continue
            file = files.get(code)
            if file is not None:  # else removed by a refresh since the membership test
                out[i] = decide_(day, code, file)
        for i in np.flatnonzero(~batch.check_characters_ok(ids, lines=lines)).tolist():
            code = ids[i]
            try:
                normal = normalized_id(code)
            except InvalidInput as exc:
                out[i] = BatchError(code, exc.one_line())
                continue
            hit = self._files.get(normal)
            out[i] = day.allow if hit is None else decide_(day, normal, hit)
        return out

    def check_batch_json(self, ids: Sequence[str], action: str, at: date) -> tuple[bytes, BatchTally]:
        """The batch answer as JSON (`{"decisions": [...]}`, one object per ID with its `id` first) and its
        tally for the audit log; the lines of subjects on file are serialised once per day and reused."""
        day = self._day(action, at)
        n = len(ids)
        if n == 0:
            return _EMPTY, BatchTally(0, 0, [], [])
        tails: list[bytes] = [day.allow_tail] * n
        objects: list[str] = []
        effects: list[str] = []
        files, lines, line_ = self._files, day.lines, self._line
        on_file, joined = _scan(self._known, ids)
        for i in compress(range(n), on_file):
            code = ids[i]
            cached = lines.get(code)
            if cached is None:
                file = files.get(code)
                if file is None:  # removed by a refresh since the membership test
                    continue
                cached = line_(day, code, file)
            tails[i] = cached[1]
            effects.append(cached[2])
            objects.append(cached[3])
        heads = _id_bytes(ids, joined)
        invalid = 0
        for i in np.flatnonzero(~batch.check_characters_ok(ids, lines=joined)).tolist():
            raw = ids[i]
            heads[i] = _escaped(raw)
            try:
                normal = normalized_id(raw)
            except InvalidInput as exc:
                tails[i] = b'","error":' + _escaped_text(exc.one_line()) + b',"field":"id"}' + _NEXT
                invalid += 1
                continue
            hit = self._files.get(normal)
            if hit is not None:
                _, tails[i], effect, obj = line_(day, normal, hit)
                effects.append(effect)
                objects.append(obj)
        heads[0] = _OPEN + heads[0]
        tails[-1] = tails[-1][: -len(_NEXT)] + _CLOSE
        payload = b"".join(chain.from_iterable(zip(heads, tails, strict=True)))
        return payload, BatchTally(n, invalid, objects, effects)


#: IDs per slice of a batch: each slice's strings are joined right after its membership test, while they are
#: still in the CPU's cache (a second pass over a million strings later costs a cache miss per string).
SCAN_SLICE = 2048


def _scan(known: set[str], ids: Sequence[str]) -> tuple[list[bool], str]:
    """Whether each ID is on file, and the IDs joined by line breaks (for the check-character gate and the
    answer's ID bytes). A comprehension's `in` is the cheapest membership test Python has: mapping
    `known.__contains__` over the IDs costs a method call per ID, 1.5 to 2 times as long."""
    flags: list[bool] = []
    parts: list[str] = []
    for start in range(0, len(ids), SCAN_SLICE):
        part = ids[start : start + SCAN_SLICE]
        flags += [code in known for code in part]
        parts.append("\n".join(part))
    return flags, "\n".join(parts)


def _id_bytes(ids: Sequence[str], lines: str) -> list[bytes]:
    """Each ID as UTF-8, split from the IDs joined by line breaks (one pass in C rather than a call per ID)."""
    parts = lines.encode("utf-8", "surrogatepass").split(b"\n")
    if len(parts) != len(ids):  # an ID held a line break: it fails the gate and is escaped anyway
        parts = [i.encode("utf-8", "surrogatepass") for i in ids]
    return parts


def _escaped_text(text: str) -> bytes:
    """A JSON string literal, quotes included (ASCII escapes for what UTF-8 cannot carry)."""
    try:
        return orjson.dumps(text)
    except orjson.JSONEncodeError:
        return json.dumps(text).encode("ascii")


def _escaped(text: str) -> bytes:
    """The inside of a JSON string literal, for an ID echoed between quotes."""
    return _escaped_text(text)[1:-1]
