"""The screening index: measures in force, in memory, keyed by identifier, so a check never touches the
database. It is built from the published targets and kept current from the change feed; the store stays
the truth and a restart rebuilds it."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import compress, count, repeat
from operator import is_not
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
from xinyong.rules.decisions import Applicable, applicable, decide, decide_from, subject_of
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

#: Decisions (and their JSON) kept per identifier, action and day before the cache starts over.
DECISION_CACHE_MAX = 2_000_000


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


class ScreeningIndex:
    """Identifier → the subject's file, for every subject a measure reaches at some date."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.cursor = 0
        self._targets: dict[str, dict[tuple[str, int], Target]] = {}
        self._files: dict[str, SubjectFile] = {}
        # (identifier, action) → what could apply on any day; filled on first use, dropped on change.
        self._candidates: dict[tuple[str, str], tuple[dict[str, Any], tuple[Applicable, ...]]] = {}
        # (identifier, action, day) → the decision, and its JSON after the "id" key for batch answers:
        # the same subject is checked many times a day (booking, boarding), and only a refresh changes it.
        self._decided: dict[tuple[str, str, date], Decision] = {}
        self._fragments: dict[tuple[str, str, date], bytes] = {}
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
                self._candidates = {k: v for k, v in self._candidates.items() if k[0] not in touched}
                self._decided = {k: v for k, v in self._decided.items() if k[0] not in touched}
                self._fragments = {k: v for k, v in self._fragments.items() if k[0] not in touched}
                for tid in touched:
                    if self._targets.get(tid):
                        self._files[tid] = file_from(self._targets[tid].values())
                    else:
                        self._targets.pop(tid, None)
                        self._files.pop(tid, None)
                self.cursor = events[-1].seq
            applied += len(events)

    def __len__(self) -> int:
        return len(self._files)

    def file(self, id_value: str) -> SubjectFile | None:
        return self._files.get(id_value)

    def _decide(self, code: str, file: SubjectFile, action: str, at: date) -> Decision:
        decided = self._decided.get((code, action, at))
        if decided is not None:
            return decided
        cached = self._candidates.get((code, action))
        if cached is None:
            cached = self._candidates[(code, action)] = (subject_of(file), applicable(file, action, self.catalog))
        if len(self._decided) > DECISION_CACHE_MAX:
            self._decided = {}
        decided = self._decided[(code, action, at)] = decide_from(cached[0], cached[1], action, at)
        return decided

    def check(self, raw_id: str, action: str, at: date) -> Decision:
        """One decision; an invalid identifier is an error, an unknown one is allowed with no subject."""
        code = normalized_id(raw_id)
        found = self._files.get(code)
        if found is None:
            return decide(None, action, at, self.catalog)
        return self._decide(code, found, action, at)

    def check_batch(self, ids: Sequence[str], action: str, at: date) -> list[Result]:
        """Decisions in the same order; the common "no measure" case costs one dictionary look-up."""
        if action not in self.catalog.actions:
            raise InvalidInput(f"unknown action {action!r}", field="action")
        allow = Decision(subject=None, action=action, at=at, effect="allow")
        # The miss path stays in C: one map of dict.get over all IDs, one vectorised check-character gate,
        # and Python only for the hits and the lines that failed the gate.
        found = list(map(self._files.get, ids))
        out: list[Result] = [allow] * len(ids)
        for i in compress(count(), map(is_not, found, repeat(None))):
            out[i] = self._decide(ids[i], found[i], action, at)  # type: ignore[arg-type]
        for i in np.flatnonzero(~batch.check_characters_ok(ids)).tolist():
            code = ids[i]
            try:
                normal = normalized_id(code)
            except InvalidInput as exc:
                out[i] = BatchError(code, exc.one_line())
                continue
            hit = self._files.get(normal)
            out[i] = allow if hit is None else self._decide(normal, hit, action, at)
        return out

    def check_batch_json(self, ids: Sequence[str], action: str, at: date) -> tuple[bytes, list[Result]]:
        """The batch answer as JSON (`{"decisions": [...]}`, one object per ID with its `id` first) and the
        results for auditing; decisions of subjects on file are serialised once per day and reused."""
        results = self.check_batch(ids, action, at)
        miss = orjson.dumps(Decision(subject=None, action=action, at=at, effect="allow").as_dict())[1:]
        if len(self._fragments) > DECISION_CACHE_MAX:
            self._fragments = {}
        fragments = self._fragments
        parts: list[bytes] = []
        append = parts.append
        for raw, result in zip(ids, results, strict=True):
            head = b'{"id":' + orjson.dumps(raw) + b","
            if isinstance(result, BatchError):
                append(orjson.dumps(result.as_dict()))
            elif result.subject is None:
                append(head + miss)
            else:
                key = (result.subject["id"] or raw, action, at)
                cached = fragments.get(key)
                if cached is None:  # refresh() drops the entries of every subject it touches
                    cached = fragments[key] = orjson.dumps(result.as_dict())[1:]
                append(head + cached)
        return b'{"decisions":[' + b",".join(parts) + b"]}", results
