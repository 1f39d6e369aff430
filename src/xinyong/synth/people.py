"""The province's residents: resident IDs, names, sex, birth dates, homes, phones and a latent risk effect."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from xinyong.ids import resident_id
from xinyong.synth.geography import DISTRICTS, ORIGINS
from xinyong.synth.names import NameBook, addresses, mobiles, person_names
from xinyong.synth.params import SynthParams

CHUNK = 10_000


@dataclass(frozen=True)
class People:
    """Column arrays, one entry per person; `u` is the standard-normal effect in the person's risk logit."""

    ids: list[str]
    names: list[str]
    female: np.ndarray
    birth: np.ndarray  # proleptic ordinals
    division: list[str]  # the division written in the resident ID
    home: np.ndarray  # index into DISTRICTS of where the person lives
    addresses: list[str]
    phones: list[str]
    u: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _weights(values: list[float]) -> np.ndarray:
    w = np.array(values, dtype=np.float64)
    out: np.ndarray = w / w.sum()
    return out


def make_people(
    params: SynthParams,
    rng: np.random.Generator,
    id_rng: random.Random,
    book: NameBook,
    advance: Callable[[int], None],
) -> People:
    """Draw every person; resident IDs are unique and carry the person's birth date, sex and origin."""
    n = params.persons
    pop = params.population
    female = rng.random(n) < 0.5
    # Adults only: ages at as_of are a normal around 42 cut to 18..85, roughly Beijing's adult pyramid.
    age_days = np.rint(np.clip(rng.normal(42.0, 14.0, n), 18.0, 85.0) * 365.25).astype(np.int64)
    birth = params.as_of.toordinal() - age_days
    people_w = _weights([d.people for d in DISTRICTS])
    hukou = rng.random(n) < pop.hukou_share
    id_district = rng.choice(len(DISTRICTS), size=n, p=people_w)
    origin = rng.choice(len(ORIGINS), size=n, p=_weights([w for _, w in ORIGINS]))
    division = [
        DISTRICTS[d].code if h else ORIGINS[o][0]
        for h, d, o in zip(hukou.tolist(), id_district.tolist(), origin.tolist(), strict=True)
    ]
    # Most Beijing-born people still live in the district that issued their number; migrants anywhere.
    stay = hukou & (rng.random(n) < 0.7)
    home = np.where(stay, id_district, rng.choice(len(DISTRICTS), size=n, p=people_w))
    names = person_names(book, rng, female, pop)
    homes = addresses(book, rng, [DISTRICTS[h].name for h in home.tolist()], homes=True)
    phones = mobiles(book, rng, n)
    u = rng.standard_normal(n)

    ids: list[str] = []
    seen: set[str] = set()
    births = birth.tolist()
    females = female.tolist()
    for i in range(n):
        born = date.fromordinal(births[i])
        code = resident_id.generate(id_rng, division[i], born, females[i])
        tries = 0
        while code in seen:  # two people cannot share a number; draw another sequence
            tries += 1
            if tries % 50 == 0:  # that day's sequences are nearly used up: be born a day earlier
                born = date.fromordinal(born.toordinal() - 1)
                birth[i] = born.toordinal()
            code = resident_id.generate(id_rng, division[i], born, females[i])
        seen.add(code)
        ids.append(code)
        if (i + 1) % CHUNK == 0:
            advance(CHUNK)
    advance(n % CHUNK)
    return People(
        ids=ids,
        names=names,
        female=female,
        birth=birth,
        division=division,
        home=home,
        addresses=homes,
        phones=phones,
        u=u,
    )
