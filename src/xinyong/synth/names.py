"""Chinese names, addresses and phone numbers drawn from Faker's zh_CN tables, vectorised with NumPy.

Faker ranks surnames by real frequency and lists given names roughly from the most common down; we
draw given names along a Zipf curve over that order, so 张伟 and 王芳 recur as they do in life.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from faker import Faker
from faker.providers.company.zh_CN import Provider as CompanyProvider
from faker.providers.person.zh_CN import Provider as PersonProvider
from faker.providers.phone_number.zh_CN import Provider as PhoneProvider

from xinyong.synth.params import PopulationParams

# Characters of Faker's sample company names that read as place names, suffixes or computer jargon,
# which no trade name in a Beijing register would be built from.
_NOT_TRADE_CHARS: Final = set("公司区件字息悌提次机电脑软算计罳村球点盒刻势浙济南襄樊黄石毕戴群曼歌地城空")
STREET_POOL: Final = 4_000


def _zipf(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    out: np.ndarray = weights / weights.sum()
    return out


@dataclass(frozen=True)
class NameBook:
    """The tables names are drawn from: surnames by frequency, given names, trade-name characters, streets."""

    surnames: np.ndarray
    surname_p: np.ndarray
    given: tuple[np.ndarray, np.ndarray]  # (male, female) single given names in Faker's order
    given_p: tuple[np.ndarray, np.ndarray]
    chars: tuple[np.ndarray, np.ndarray]  # characters of two-character given names
    chars_p: tuple[np.ndarray, np.ndarray]
    trade_chars: np.ndarray
    streets: np.ndarray
    mobile_prefixes: np.ndarray


def name_book(fake: Faker, params: PopulationParams) -> NameBook:
    """Read Faker's zh_CN tables once; the street pool comes from the seeded Faker itself."""
    surnames = np.array(list(PersonProvider.last_names.keys()))
    freq = np.array(list(PersonProvider.last_names.values()), dtype=np.float64)
    given: list[np.ndarray] = []
    given_p: list[np.ndarray] = []
    chars: list[np.ndarray] = []
    chars_p: list[np.ndarray] = []
    for names in (PersonProvider.first_names_male, PersonProvider.first_names_female):
        given.append(np.array(names))
        given_p.append(_zipf(len(names), params.given_name_zipf))
        # Characters in order of first appearance, so common characters keep the front of the curve.
        order = list(dict.fromkeys("".join(names)))
        chars.append(np.array(order))
        chars_p.append(_zipf(len(order), 0.7))
    trade = sorted(
        {c for c in "".join(CompanyProvider.company_prefixes) if "\u4e00" <= c <= "\u9fff"} - _NOT_TRADE_CHARS
    )
    streets = np.array([fake.street_name() for _ in range(STREET_POOL)])
    return NameBook(
        surnames=surnames,
        surname_p=freq / freq.sum(),
        given=(given[0], given[1]),
        given_p=(given_p[0], given_p[1]),
        chars=(chars[0], chars[1]),
        chars_p=(chars_p[0], chars_p[1]),
        trade_chars=np.array(trade),
        streets=streets,
        mobile_prefixes=np.array([str(p) for p in PhoneProvider.phonenumber_prefixes]),
    )


def person_names(book: NameBook, rng: np.random.Generator, female: np.ndarray, params: PopulationParams) -> list[str]:
    """A surname by frequency and either a common single given name (Zipf) or a two-character one."""
    n = len(female)
    surname = rng.choice(book.surnames, size=n, p=book.surname_p)
    common = rng.random(n) < params.common_given_name_share
    given = np.empty(n, dtype=object)
    for sex in (0, 1):
        rows = np.flatnonzero(female == bool(sex))
        pick_common = rows[common[rows]]
        given[pick_common] = rng.choice(book.given[sex], size=len(pick_common), p=book.given_p[sex])
        rest = rows[~common[rows]]
        first = rng.choice(book.chars[sex], size=len(rest), p=book.chars_p[sex])
        second = rng.choice(book.chars[sex], size=len(rest), p=book.chars_p[sex])
        given[rest] = np.char.add(first, second)
    return [str(s) + str(g) for s, g in zip(surname, given, strict=True)]


def trade_names(book: NameBook, rng: np.random.Generator, n: int, min_len: int = 2) -> list[str]:
    """Trade names (字号) of two to four characters from the characters Faker's company names use."""
    lengths = np.minimum(min_len + rng.choice(3, size=n, p=[0.6, 0.25, 0.15]), 5)
    picks = rng.choice(book.trade_chars, size=(n, 5))
    return ["".join(row[:k]) for row, k in zip(picks.tolist(), lengths.tolist(), strict=True)]


def addresses(book: NameBook, rng: np.random.Generator, districts: list[str], homes: bool) -> list[str]:
    """Faker's street names moved into Beijing districts, with a house number and, for homes, a flat."""
    n = len(districts)
    street = rng.choice(book.streets, size=n)
    number = rng.integers(1, 300, size=n)
    building = rng.integers(1, 30, size=n)
    if homes:
        unit = rng.integers(1, 7, size=n)
        room = rng.integers(1, 25, size=n) * 100 + rng.integers(1, 5, size=n)
        return [
            f"北京市{d}{s}{a}号院{b}号楼{u}单元{r}"
            for d, s, a, b, u, r in zip(districts, street, number, building, unit, room, strict=True)
        ]
    room = rng.integers(1, 20, size=n) * 100 + rng.integers(1, 30, size=n)
    office = rng.random(n) < 0.6
    return [
        f"北京市{d}{s}{a}号" + (f"{b}号楼{r}室" if o else "")
        for d, s, a, b, r, o in zip(districts, street, number, building, room, office, strict=True)
    ]


def mobiles(book: NameBook, rng: np.random.Generator, n: int) -> list[str]:
    """Mobile numbers on the prefixes MIIT assigned, as Faker lists them."""
    prefix = rng.choice(book.mobile_prefixes, size=n)
    tail = rng.integers(0, 100_000_000, size=n)
    return [f"{p}{t:08d}" for p, t in zip(prefix, tail, strict=True)]


def landlines(rng: np.random.Generator, n: int) -> list[str]:
    """Beijing fixed-line numbers: area code 010 and eight digits starting 5 to 8."""
    tail = rng.integers(50_000_000, 90_000_000, size=n)
    return [f"010-{t}" for t in tail]
