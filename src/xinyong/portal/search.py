"""Finding a subject by name (Chinese or pinyin, full-width or half-width, with or without its region and
legal form) or by code (USCC, resident ID, registry key), for the public search box.

The index keeps, per subject, its normalised name, an organisation's distinctive core
(`org_name_core`), the name in toneless pinyin and its initials, each field joined into one string so a
query is a few `str.find` scans rather than a loop over every subject. The first search after start
reads every subject (a few seconds for tens of thousands); later ones catch up with new subjects by pk
(subjects are never renamed). People are only ever found when the public may see something
about them: a person's presence in the registry is itself not public.
"""

from __future__ import annotations

import re
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Final

from pypinyin.seg.simpleseg import seg

from xinyong.catalog.model import Catalog
from xinyong.domain.records import SANCTIONING_LINKS
from xinyong.due_process.disclosure import WITHDRAWN
from xinyong.due_process.subject_files import read_file
from xinyong.errors import NotFound
from xinyong.ids import registry
from xinyong.store import Store, subjects
from xinyong.store.search import NameEntry, names_after, people_with_records
from xinyong.text import (
    collapse_space,
    normalize_name,
    normalize_org_name,
    org_name_core,
    pinyin_initials,
    pinyin_key,
    to_halfwidth,
)

#: Longest query the portal takes; names are at most 256 characters and codes 18.
MAX_QUERY: Final = 100
#: How many candidate positions one field scan collects before ranking.
SCAN_CAP: Final = 2_000
#: Seconds between two looks for new subjects.
REFRESH_EVERY_S: Final = 5.0
_SUBJECT_KEY = re.compile(r"^S\d{8}$")
_PINYIN_QUERY = re.compile(r"^[A-Za-z][A-Za-z '·.-]*$")
_USCC_PART = re.compile(r"^[0-9A-Z]{6,17}$")

# Ranks: a better kind of match always wins over a worse one; ties go to the shorter name.
EXACT_CODE = 100
EXACT_NAME = 90
EXACT_CORE = 85
PREFIX_NAME = 70
EXACT_PINYIN = 65
PREFIX_CORE = 60
PREFIX_PINYIN = 55
INFIX_NAME = 50
INFIX_PINYIN = 40
PART_CODE = 35
INITIALS = 30


@dataclass(frozen=True, slots=True)
class Hit:
    """A subject the query found, and how well."""

    entry: NameEntry
    rank: int


@dataclass(frozen=True, slots=True)
class Found:
    """The hits of one query, best first, and whether more matched than were kept."""

    query: str
    kind: str
    hits: tuple[Hit, ...]
    more: bool


@dataclass(slots=True)
class _Field:
    """One comparison key of every subject, joined by newlines so one scan covers them all."""

    values: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    text: str = ""

    def extend(self, new: Iterable[str]) -> None:
        # Test for earlier values, not for text: a field whose values so far are all empty has no text.
        parts = [self.text] if self.values else []
        offset = len(self.text) + (1 if self.values else 0)
        for value in new:
            self.values.append(value)
            self.starts.append(offset)
            parts.append(value)
            offset += len(value) + 1
        self.text = "\n".join(parts)

    def scan(self, needle: str, exact: int, prefix: int, infix: int | None, out: dict[int, int]) -> bool:
        """Rank every entry containing `needle`; True when the scan stopped at its cap."""
        if not needle or "\n" in needle:
            return False
        seen = 0
        pos = self.text.find(needle)
        while pos != -1:
            index = bisect_right(self.starts, pos) - 1
            start = self.starts[index]
            if pos == start:
                rank = exact if self.values[index] == needle else prefix
            else:
                rank = infix if infix is not None else -1
            if rank > out.get(index, -1):
                out[index] = rank
            seen += 1
            if seen >= SCAN_CAP:
                return True
            pos = self.text.find(needle, pos + 1)
        return False


@lru_cache(maxsize=200_000)
def _piece_pinyin(piece: str) -> tuple[str, str]:
    return pinyin_key(piece), pinyin_initials(piece)


def romanise(name: str) -> tuple[str, str]:
    """`pinyin_key` and `pinyin_initials` of a name, computed per word and remembered per word: company names
    share most of their words (北京, 科技, 有限公司), so an index of many names costs a fraction of the whole."""
    keys = [_piece_pinyin(piece) for piece in seg(name)]
    return "".join(k for k, _ in keys), "".join(i for _, i in keys)


class SearchIndex:
    """Every subject's comparison keys, in memory; `refresh` reads the subjects added since the last one."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: list[NameEntry] = []
        self._by_code: dict[str, int] = {}
        self._norm = _Field()
        self._core = _Field()
        self._pinyin = _Field()
        self._core_pinyin = _Field()  # 摩亿（北京）食品 is "moyishipin" as well as "moyibeijingshipin"
        self._initials = _Field()
        self._codes = _Field()  # organisations' USCCs only: a person's number is never searched in part
        self._last_pk = 0
        self._refreshed_at: float | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def ready(self) -> bool:
        """Whether the index has read the store at least once."""
        return self._refreshed_at is not None

    def refresh(self, store: Store, *, force: bool = False) -> int:
        """Add the subjects stored since the last refresh (at most every few seconds unless forced)."""
        with self._lock:
            now = self._clock()
            if not force and self._refreshed_at is not None and now - self._refreshed_at < REFRESH_EVERY_S:
                return 0
            added = 0
            while True:
                with store.connect() as conn:
                    batch = names_after(conn, self._last_pk)
                if not batch:
                    break
                self._add(batch)
                added += len(batch)
                self._last_pk = batch[-1].pk
            self._refreshed_at = self._clock()
            return added

    def add(self, batch: Sequence[NameEntry]) -> None:
        """Index these subjects (in pk order, after any already indexed), as `refresh` does with the store's."""
        with self._lock:
            self._add(batch)
            if batch:
                self._last_pk = max(self._last_pk, batch[-1].pk)

    def _add(self, batch: Sequence[NameEntry]) -> None:
        first = len(self._entries)
        self._entries.extend(batch)
        norms, cores, pinyins, core_pinyins, initials, codes = [], [], [], [], [], []
        for offset, entry in enumerate(batch):
            org = entry.kind == "org"
            core = org_name_core(entry.name) if org else entry.name_norm
            key, letters = romanise(entry.name)
            core_key = key
            if org:  # an organisation's initials are its trade name's: 腾育贸易 is "tymy", not "bjtymyyxgs"
                core_key, letters = romanise(core)
            norms.append(entry.name_norm)
            cores.append(core)
            pinyins.append(key)
            core_pinyins.append(core_key if core_key != key else "")
            initials.append(letters)
            codes.append((entry.id_value or "") if org else "")
            self._by_code[entry.key] = first + offset
            if entry.id_value:
                self._by_code[entry.id_value] = first + offset
        self._norm.extend(norms)
        self._core.extend(cores)
        self._pinyin.extend(pinyins)
        self._core_pinyin.extend(core_pinyins)
        self._initials.extend(initials)
        self._codes.extend(codes)

    def find(self, raw: str, *, limit: int = 20) -> Found:
        """The subjects a query names, best first: by code, else by Chinese name, else by pinyin."""
        query = collapse_space(to_halfwidth(raw))[:MAX_QUERY]
        if not query:
            return Found(query, "empty", (), False)
        ranks: dict[int, int] = {}
        capped = False
        compact = query.replace(" ", "").upper()
        if _SUBJECT_KEY.match(compact) or registry.check(compact).valid:
            kind = "code"
            code = registry.check(compact).normalized or compact
            with self._lock:
                index = self._by_code.get(code)
            if index is not None:
                ranks[index] = EXACT_CODE
        elif _PINYIN_QUERY.match(query):
            kind = "pinyin"
            key, letters = pinyin_key(query), query.replace(" ", "").lower()
            with self._lock:
                capped |= self._pinyin.scan(key, EXACT_PINYIN, PREFIX_PINYIN, INFIX_PINYIN, ranks)
                capped |= self._core_pinyin.scan(key, EXACT_PINYIN, PREFIX_PINYIN, INFIX_PINYIN, ranks)
                if len(letters) <= 6:
                    capped |= self._initials.scan(letters, INITIALS, INITIALS, None, ranks)
        else:
            kind = "name"
            with self._lock:
                for needle in {normalize_org_name(query), normalize_name(query)}:
                    capped |= self._norm.scan(needle, EXACT_NAME, PREFIX_NAME, INFIX_NAME, ranks)
                core = org_name_core(query)
                if len(core) >= 2:
                    capped |= self._core.scan(core, EXACT_CORE, PREFIX_CORE, INFIX_NAME, ranks)
                if _USCC_PART.match(compact):
                    capped |= self._codes.scan(compact, PART_CODE, PART_CODE, PART_CODE, ranks)
        with self._lock:
            hits = [Hit(self._entries[i], r) for i, r in ranks.items() if r >= 0]
        hits.sort(key=lambda h: (-h.rank, len(h.entry.name), h.entry.pk))
        return Found(query, kind, tuple(hits[:limit]), capped or len(hits) > limit)


def public_hits(store: Store, catalog: Catalog, hits: Sequence[Hit], *, today: date, limit: int) -> list[Hit]:
    """The hits the public may see: every organisation, and a person only when the public view of their
    file shows something today (the same rule as their page, so search never reveals more than it)."""
    people = [h.entry.pk for h in hits if h.entry.kind == "person"]
    types = sorted(code for code, rt in catalog.record_types.items() if rt.person_disclosure == "public")
    out: list[Hit] = []
    with store.connect() as conn:
        maybe = people_with_records(
            conn, people, record_types=types, links=sorted(SANCTIONING_LINKS), withdrawn=sorted(WITHDRAWN)
        )
        for hit in hits:
            if hit.entry.kind == "person":
                row = subjects.get(conn, hit.entry.pk) if hit.entry.pk in maybe else None
                if row is None:
                    continue
                try:
                    read_file(conn, catalog, row, view="public", today=today)
                except NotFound:
                    continue
            out.append(hit)
            if len(out) >= limit:
                break
    return out
