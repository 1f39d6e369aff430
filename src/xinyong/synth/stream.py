"""The agencies' send queue: originals in decision order, with corrections, re-sends and fulfilments later.

Every row written is classified the way an ingest into an empty store must classify it, which is
what truth/feeds.json promises: a first version is `accepted`, a changed re-send of a stored record
`superseded`, an exact re-send of the current version `unchanged`, a broken row `rejected`.
"""

from __future__ import annotations

import csv
import heapq
import random
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

from xinyong.synth.events import Event
from xinyong.synth.noise import Tally, break_row, corrected, dirty_id, dirty_name, fulfilled
from xinyong.synth.params import SynthParams
from xinyong.synth.records import RecordFactory, Row
from xinyong.synth.shapes import SHAPES, FeedShape
from xinyong.synth.writers import FeedWriter, open_writer

RECORDS_HEADER = ("agency", "record_id", "record_type", "subject_kind", "subject_id", "expected", "reject")
COUNTS = (
    "rows",
    "accepted",
    "rejected",
    "unchanged",
    "superseded",
    "corrections",
    "duplicates",
    "fulfilments",
)


class FeedStream:
    """Writes every agency's feed and truth/records.csv, counting what ingestion should make of each row."""

    def __init__(self, out: Path, params: SynthParams, factory: RecordFactory, rng: random.Random) -> None:
        self.params = params
        self.factory = factory
        self.rng = rng
        self.shapes: dict[str, FeedShape] = {s.agency: s for s in SHAPES}
        self.paths = {s.agency: out / "feeds" / s.filename for s in SHAPES}
        self.writers: dict[str, FeedWriter] = {a: open_writer(s, self.paths[a]) for a, s in self.shapes.items()}
        self.counts: dict[str, Counter[str]] = {a: Counter() for a in self.shapes}
        self.tally: dict[str, Tally] = {a: Tally() for a in self.shapes}
        self._records_file = (out / "truth" / "records.csv").open("w", encoding="utf-8", newline="")
        self._records = csv.writer(self._records_file)
        self._records.writerow(RECORDS_HEADER)
        # (send day, sequence, agency, record_id, action): the sequence keeps equal days in drawing order.
        self._queue: list[tuple[int, int, str, str, str]] = []
        self._seq = 0
        self._current: dict[tuple[str, str], Row] = {}
        self._pending: Counter[tuple[str, str]] = Counter()

    def emit(self, events: list[Event], advance: Callable[[int], None], units: int) -> None:
        """Send a year's originals in date order, releasing queued re-sends that fall due before each;
        `units` of progress are reported along the way."""
        step = max(1, len(events) // 20)
        done = 0
        for i, event in enumerate(events, start=1):
            self.flush(event.day - 1)
            self._original(event)
            if i % step == 0:
                share = units * i // len(events)
                advance(share - done)
                done = share
        advance(units - done)

    def flush(self, until: int) -> None:
        """Send every queued re-send due on or before the given day."""
        while self._queue and self._queue[0][0] <= until:
            day, _, agency, record_id, action = heapq.heappop(self._queue)
            key = (agency, record_id)
            row = self._current[key]
            counts = self.counts[agency]
            if action == "correct":
                row = corrected(row, self.rng)
                counts["superseded"] += 1
                counts["corrections"] += 1
            elif action == "duplicate":
                counts["unchanged"] += 1
                counts["duplicates"] += 1
            else:
                row = fulfilled(row, date.fromordinal(day))
                counts["superseded"] += 1
                counts["fulfilments"] += 1
            self._write(agency, row)
            self._pending[key] -= 1
            if self._pending[key]:
                self._current[key] = row
            else:
                del self._current[key], self._pending[key]

    def close(self) -> None:
        """Send what falls due by as_of; re-sends due later are never sent."""
        self.flush(self.params.as_of.toordinal())
        for writer in self.writers.values():
            writer.close()
        self._records_file.close()

    def _write(self, agency: str, row: Row) -> None:
        self.writers[agency].write(self.shapes[agency].cells(row))
        self.counts[agency]["rows"] += 1

    def _later(self, day: int, agency: str, record_id: str, action: str) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (day, self._seq, agency, record_id, action))
        self._pending[(agency, record_id)] += 1

    def _original(self, event: Event) -> None:
        agency, row, true_id = self.factory.row(event)
        noise, rng, tally = self.params.noise, self.rng, self.tally[agency]
        shape = self.shapes[agency]
        dirty_name(row, noise, rng, tally)
        dirty_id(row, noise, rng, tally, self.params.as_of)
        record_id: str = row["record_id"]
        truth = [agency, record_id, event.rtype, row["subject_kind"], true_id]
        if tally.draw("invalid", noise.invalid, rng):
            how = break_row(row, rng, self.params.as_of, noise, shape.bad_dates(row["decided_on"]), shape.unknown_types)
            tally.applied[f"invalid_{how}"] += 1
            self._write(agency, row)
            self.counts[agency]["rejected"] += 1
            self._records.writerow([*truth, "rejected", how])
            return
        self._write(agency, row)
        self.counts[agency]["accepted"] += 1
        self._records.writerow([*truth, "stored", ""])
        if tally.draw("correction", noise.correction, rng):
            self._later(event.day + rng.randint(3, 90), agency, record_id, "correct")
        if tally.draw("duplicate", noise.duplicate, rng):
            self._later(event.day + rng.randint(1, 30), agency, record_id, "duplicate")
        if event.ends:
            self._later(event.ends, agency, record_id, "fulfil")
        if self._pending[(agency, record_id)]:
            self._current[(agency, record_id)] = row
        else:
            del self._pending[(agency, record_id)]
