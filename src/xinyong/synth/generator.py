"""Build a synthetic province: people and companies, years of events, agency feeds and their truth."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from faker import Faker

from xinyong.errors import InvalidInput
from xinyong.synth.companies import make_companies
from xinyong.synth.events import World, simulate_year
from xinyong.synth.names import name_book
from xinyong.synth.params import SynthParams
from xinyong.synth.people import make_people
from xinyong.synth.records import RecordFactory
from xinyong.synth.stream import FeedStream
from xinyong.synth.truth import FeedSummary, OutcomesWriter, write_feeds_json, write_subjects


@dataclass(frozen=True)
class SynthSummary:
    """What was written: the feeds with their expected ingest counts, and the size of the truth."""

    out: Path
    params: SynthParams
    feeds: tuple[FeedSummary, ...]
    company_years: int
    positives: int

    @property
    def rows(self) -> int:
        """Rows over all feeds."""
        return sum(f.rows for f in self.feeds)

    def as_dict(self) -> dict[str, Any]:
        """The summary as `xinyong synth --json` prints it."""
        return {
            "out": str(self.out),
            "orgs": self.params.orgs,
            "persons": self.params.persons,
            "years": self.params.years,
            "seed": self.params.seed,
            "as_of": self.params.as_of.isoformat(),
            "rows": self.rows,
            "company_years": self.company_years,
            "outcome_rate": round(self.positives / self.company_years, 6) if self.company_years else 0.0,
            "feeds": [{k: v for k, v in f.as_dict().items() if k != "noise"} for f in self.feeds],
        }


def work_units(params: SynthParams) -> int:
    """How many units `generate` reports through `advance`: each person and company once, then once a year."""
    return params.persons + params.orgs + params.years * (params.orgs + params.persons)


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out} exists and is not a folder", field="out")
    try:
        (out / "feeds").mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"cannot create {out}: {exc.strerror}", field="out") from None


def build_world(params: SynthParams, advance: Callable[[int], None] | None = None) -> tuple[World, np.random.Generator]:
    """The people and companies of the province and the random stream its years are drawn from; the
    same params always give the same world, so the years can be re-simulated without writing feeds."""
    step = advance or (lambda n: None)
    # Independent streams per concern, so adding a draw to one never shifts another.
    population_rng, event_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(params.seed).spawn(2))
    id_rng = random.Random(f"ids-{params.seed}")
    fake = Faker("zh_CN")
    fake.seed_instance(params.seed)
    book = name_book(fake, params.population)
    people = make_people(params, population_rng, id_rng, book, step)
    companies = make_companies(params, population_rng, id_rng, book, people, step)
    return World(params, people, companies), event_rng


def generate(out: Path, params: SynthParams, advance: Callable[[int], None] | None = None) -> SynthSummary:
    """Write DIR/feeds/<agency>.<ext> and DIR/truth/; the same params give byte-identical files."""
    step = advance or (lambda n: None)
    _prepare(out)
    world, event_rng = build_world(params, step)
    write_subjects(out / "truth" / "subjects.csv", world.people, world.companies)
    noise_rng = random.Random(f"noise-{params.seed}")
    stream = FeedStream(out, params, RecordFactory(world), noise_rng)
    outcomes = OutcomesWriter(out / "truth" / "outcomes.csv", world.companies)
    for year in range(params.first_year, params.as_of.year + 1):
        events, truth = simulate_year(world, year, event_rng)
        step(params.orgs)
        stream.emit(events, step, params.persons)
        outcomes.write(truth)
    stream.close()
    outcomes.close()

    feeds = tuple(
        FeedSummary(
            agency=agency,
            path=f"feeds/{shape.filename}",
            format=shape.format,
            encoding=shape.encoding,
            rows=stream.counts[agency]["rows"],
            accepted=stream.counts[agency]["accepted"],
            rejected=stream.counts[agency]["rejected"],
            unchanged=stream.counts[agency]["unchanged"],
            superseded=stream.counts[agency]["superseded"],
            resent={k: stream.counts[agency][k] for k in ("corrections", "duplicates", "fulfilments")},
            noise=stream.tally[agency].as_dict(),
        )
        for agency, shape in stream.shapes.items()
    )
    write_feeds_json(out / "truth" / "feeds.json", params, feeds)
    return SynthSummary(
        out=out,
        params=params,
        feeds=feeds,
        company_years=outcomes.company_years,
        positives=outcomes.positives,
    )
