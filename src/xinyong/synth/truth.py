"""What really happened, for scoring linkage and ratings: subjects.csv, outcomes.csv and feeds.json."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from xinyong.synth.companies import Companies
from xinyong.synth.events import YearTruth
from xinyong.synth.geography import DISTRICTS
from xinyong.synth.industries import INDUSTRIES, ORG_TYPES, OWNERSHIPS
from xinyong.synth.params import SynthParams
from xinyong.synth.people import People

SUBJECTS_HEADER = (
    "kind",
    "id",
    "name",
    "district",
    "division",
    "industry",
    "org_type",
    "ownership",
    "registered_on",
    "capital",
    "legal_rep_id",
    "sex",
    "birth_date",
    "address",
    "phone",
)
OUTCOMES_HEADER = ("uscc", "year", "period_start", "period_end", "risk", "label")


def write_subjects(path: Path, people: People, companies: Companies) -> None:
    """Every true subject, people first, with the attributes the generator drew for it."""
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(SUBJECTS_HEADER)
        for i in range(len(people)):
            out.writerow(
                (
                    "person",
                    people.ids[i],
                    people.names[i],
                    DISTRICTS[int(people.home[i])].name,
                    people.division[i],
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "F" if people.female[i] else "M",
                    date.fromordinal(int(people.birth[i])).isoformat(),
                    people.addresses[i],
                    people.phones[i],
                )
            )
        for i in range(len(companies)):
            out.writerow(
                (
                    "org",
                    companies.ids[i],
                    companies.names[i],
                    DISTRICTS[int(companies.district[i])].name,
                    DISTRICTS[int(companies.district[i])].code,
                    INDUSTRIES[int(companies.industry[i])].code,
                    ORG_TYPES[int(companies.kind[i])].code,
                    OWNERSHIPS[int(companies.ownership[i])][0],
                    date.fromordinal(int(companies.registered[i])).isoformat(),
                    f"{companies.capital[i]:.0f}",
                    people.ids[int(companies.rep[i])],
                    "",
                    "",
                    companies.addresses[i],
                    companies.phones[i],
                )
            )


class OutcomesWriter:
    """truth/outcomes.csv: per company-year, the annual risk and whether a serious outcome came."""

    def __init__(self, path: Path, companies: Companies) -> None:
        self._file = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(OUTCOMES_HEADER)
        self._ids = companies.ids
        self.company_years = 0
        self.positives = 0

    def write(self, truth: YearTruth) -> None:
        """Append one year."""
        start, end = truth.start.isoformat(), truth.end.isoformat()
        idx = np.flatnonzero(truth.active)
        for i, r, y in zip(idx.tolist(), truth.risk[idx].tolist(), truth.label[idx].tolist(), strict=True):
            self._csv.writerow((self._ids[i], truth.year, start, end, f"{r:.6f}", int(y)))
        self.company_years += len(idx)
        self.positives += int(truth.label[idx].sum())

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class FeedSummary:
    """One feed and what ingesting it into an empty store must report."""

    agency: str
    path: str  # relative to the output folder
    format: str
    encoding: str | None
    rows: int
    accepted: int
    rejected: int
    unchanged: int
    superseded: int
    resent: dict[str, int] = field(default_factory=dict)
    noise: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The feeds.json entry."""
        return {
            "agency": self.agency,
            "path": self.path,
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unchanged": self.unchanged,
            "superseded": self.superseded,
            "resent": self.resent,
            "noise": self.noise,
        }


def write_feeds_json(path: Path, params: SynthParams, feeds: tuple[FeedSummary, ...]) -> None:
    """truth/feeds.json: the feeds in ingestion order with their expected counts and the noise they carry."""
    doc = {
        "seed": params.seed,
        "as_of": params.as_of.isoformat(),
        "ingest_now": {
            "from": params.as_of.isoformat(),
            "before": date.fromordinal(params.as_of.toordinal() + params.noise.future_min_days).isoformat(),
            "note": "ingest with XINYONG_NOW in [from, before): only the planted future dates are rejected",
        },
        "feeds": [f.as_dict() for f in feeds],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
