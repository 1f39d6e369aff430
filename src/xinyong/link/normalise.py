"""The comparison columns both sides of a linkage share, built from what agencies wrote.

Names go through `xinyong.text` (half-width, simplified, one spelling per legal form, the distinctive
core of a company name, pinyin for people); an address is split into its district (朝阳区) and the rest
(the street), so the two are compared separately; phones and codes keep their characters only. Every
key is computed once per distinct value, because names, streets and phones repeat across records; a
`Memo` carries the keys from the record side of a run to the subject side, which mostly holds the same
names, addresses and phones again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from multiprocessing.pool import Pool
from typing import Any, Final, TypeVar

from xinyong.ids.model import compact
from xinyong.link import workers
from xinyong.text import (
    PREFECTURES,
    PROVINCES,
    normalize_brackets,
    normalize_name,
    normalize_org_name,
    normalized_org_name_core,
    pinyin_key,
    to_halfwidth,
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# A county-level unit at the start of an address once the province and city are taken off: 朝阳区,
# 密云县, a banner (旗) or a county-level city; at most six characters, as in 鄂托克前旗.
_DISTRICT: Final = re.compile(r"^(?P<district>[\u4e00-\u9fff]{1,6}?(?:自治县|自治旗|区|县|旗|市))(?P<rest>.+)$")
# Only full names are taken off the front: short forms are too often the start of a district's own
# name (朝阳 is a city in Liaoning and 朝阳区 a district of Beijing).
_FULL_REGIONS: Final = sorted({full for full, _ in PROVINCES} | set(PREFECTURES), key=lambda n: (-len(n), n))
_REGION_PREFIX: Final = re.compile("^(?:" + "|".join(map(re.escape, _FULL_REGIONS)) + ")")
_NON_DIGITS: Final = re.compile(r"[^0-9]")
_LATIN_WORDS: Final = re.compile(r"[A-Z]+")
_HAN: Final = re.compile(r"[\u3400-\u9fff]")
_MOBILE_COUNTRY: Final = "86"
#: The columns every comparison frame has, whatever the subject kind.
COMMON_COLUMNS: Final = ("unique_id", "name_norm", "name_core", "name_py", "id_code", "district", "street", "phone")
ORG_COLUMNS: Final = (*COMMON_COLUMNS, "rep_name", "rep_id")
PERSON_COLUMNS: Final = (*COMMON_COLUMNS, "birth_date")


def columns_for(kind: str) -> tuple[str, ...]:
    """The comparison columns of a subject kind, in frame order."""
    return ORG_COLUMNS if kind == "org" else PERSON_COLUMNS


class Memo:
    """Keys already computed in one run, per function and value, shared by both sides of a linkage, and
    the run's worker processes (`xinyong.link.workers`) if it has them."""

    def __init__(self, pool: Pool | None = None) -> None:
        self._tables: dict[Callable[[Any], Any], dict[Any, Any]] = {}
        self.pool = pool

    def table(self, fn: Callable[[K], V]) -> dict[K, V]:
        """The values `fn` has been applied to so far, with what it gave."""
        return self._tables.setdefault(fn, {})

    def trim(self, limit: int) -> None:
        """Forget everything once more than `limit` values are remembered, so a long run stays in bounded
        memory (a forgotten key is only computed again)."""
        if sum(len(table) for table in self._tables.values()) > limit:
            self._tables.clear()


def mapped(values: Sequence[K | None], fn: Callable[[K], V], memo: Memo | None = None) -> list[V | None]:
    """`fn` applied to each value, computed once per distinct value (and per run, given a memo); None stays None.

    Given a memo with worker processes, enough values not computed yet and a function costly enough
    (`_COSTLY`), the workers compute those.
    """
    table: dict[K, V] = memo.table(fn) if memo is not None else {}
    if memo is not None and memo.pool is not None and fn in _COSTLY:
        fresh = [v for v in dict.fromkeys(values) if v is not None and v not in table]
        if len(fresh) >= workers.MIN_VALUES:
            table.update(zip(fresh, memo.pool.map(fn, fresh, chunksize=workers.TASK_SIZE), strict=True))
    out: list[V | None] = []
    append = out.append
    for value in values:
        if value is None:
            append(None)
        elif value in table:
            append(table[value])
        else:
            found = table[value] = fn(value)
            append(found)
    return out


def blank_to_none(text: str | None) -> str | None:
    """None for a value that is missing or only blanks."""
    return text if text else None


def org_keys(name: str) -> tuple[str, str]:
    """An organisation's name as compared (`normalize_org_name`) and its distinctive core (the name as
    compared where it has no other), the name normalised once for both."""
    norm = normalize_org_name(name)
    return norm, normalized_org_name_core(norm) or norm


def person_keys(name: str) -> tuple[str, str, str]:
    """A person's name as compared, the same without word order, and its toneless pinyin.

    张伟 and "Zhang Wei" agree on the pinyin; "Zhang Wei" and "Wei Zhang" on the order-free form (the
    words in alphabetical order, "WEI ZHANG"), the two orders a romanised Chinese name comes in. A name
    in Han characters has no words to reorder: its order-free form is the name as compared.
    """
    norm = normalize_name(name)
    return norm, _unordered(name) or norm, pinyin_key(name)


def name_columns(kind: str, names: Sequence[str | None], memo: Memo | None = None) -> tuple[list[str | None], ...]:
    """(name_norm, name_core, name_py) for each name; a person's core is the name without word order.

    The same keys as `org_keys` and `person_keys`, each part computed once per distinct name.
    """
    if kind == "org":
        keys = mapped(names, org_keys, memo)
        norm = [k[0] if k else None for k in keys]
        core = [blank_to_none(k[1]) if k else None for k in keys]
        # Pinyin of a company's core lets a Latin-script rendering of the name meet the Chinese one.
        return norm, core, mapped(core, _latin_only_pinyin, memo)
    norm = [blank_to_none(n) for n in mapped(names, normalize_name, memo)]
    unordered = [blank_to_none(u or n) for u, n in zip(mapped(names, _unordered, memo), norm, strict=True)]
    return norm, unordered, mapped(names, _pinyin, memo)


def known_name_columns(
    kind: str, names: Sequence[str], norms: Sequence[str], memo: Memo | None = None
) -> tuple[list[str | None], ...]:
    """(name_norm, name_core, name_py) of subjects, whose normalised names the store already keeps.

    The stored form saves normalising every subject's name again on every run; it is the same
    function's output (`normalize_org_name` or `normalize_name`), and a blank one is recomputed.
    """
    if kind == "org":
        norm: list[str | None] = [n or normalize_org_name(name) for name, n in zip(names, norms, strict=True)]
        # The keys of a normalised name are those of the name (normalising is idempotent), and a record's
        # name is most often written as it normalises, so the record side has mostly computed them.
        core = [blank_to_none(k[1]) if k else None for k in mapped(norm, org_keys, memo)]
        return norm, core, mapped(core, _latin_only_pinyin, memo)
    norm = [n or normalize_name(name) for name, n in zip(names, norms, strict=True)]
    unordered = mapped(names, _unordered, memo)
    return norm, [u or n for u, n in zip(unordered, norm, strict=True)], mapped(names, _pinyin, memo)


def _unordered(name: str) -> str | None:
    # The words stay apart, so that the model can tell two names that share one of them (a surname).
    words = _LATIN_WORDS.findall(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper())
    return " ".join(sorted(words)) if words and not _HAN.search(name) else None


def _pinyin(name: str) -> str | None:
    return blank_to_none(pinyin_key(name))


def _latin_only_pinyin(core: str) -> str | None:
    # Pinyin of a Han company name is costly and adds nothing the Han core does not already say;
    # it only helps when the name was written in Latin letters, so only those get a key.
    return blank_to_none(pinyin_key(core)) if core.isascii() else None


#: Key functions that two workers compute faster than this process alone, a million values or not (measured
#: a value, serially: an organisation's name and core 16 µs, a person's pinyin 15, a person's name 4.5). An
#: address (5 µs) or a phone (1 µs) costs less than its round trip.
_COSTLY: Final[frozenset[Callable[[Any], Any]]] = frozenset({org_keys, _pinyin, _latin_only_pinyin, normalize_name})


def split_address(address: str) -> tuple[str | None, str | None]:
    """The district (朝阳区) and the rest of an address, both normalised; (None, rest) when no district shows."""
    # Width and brackets only: traditional characters are rare in addresses, and converting every
    # address would cost more than the rest of the normalisation together.
    text = normalize_brackets(to_halfwidth("".join(address.split()))).upper()
    for _ in range(3):  # province, then city: 北京市朝阳区…, 河北省石家庄市长安区…
        region = _REGION_PREFIX.match(text)
        if region is None or region.end() == len(text):
            break
        text = text[region.end() :]
    found = _DISTRICT.match(text)
    if found is None:
        return None, blank_to_none(text)
    return found["district"], blank_to_none(found["rest"])


def address_columns(
    addresses: Sequence[str | None], memo: Memo | None = None
) -> tuple[list[str | None], list[str | None]]:
    """(district, street) for each address."""
    parts = mapped(addresses, split_address, memo)
    return [p[0] if p else None for p in parts], [p[1] if p else None for p in parts]


def phone_key(phone: str) -> str | None:
    """The digits of a phone number, without China's country code: +86 138… and 138… agree."""
    # Folding changes no ASCII character into a digit or out of one, so plain ASCII skips it.
    digits = _NON_DIGITS.sub("", phone) if phone.isascii() else "".join(filter(str.isdigit, compact(phone)))
    if len(digits) == 13 and digits.startswith(_MOBILE_COUNTRY):
        digits = digits[2:]
    return digits or None


def code_key(code: str) -> str | None:
    """A typed identifier folded to half-width capitals without separators."""
    return blank_to_none(compact(code))


def date_key(day: date | None) -> str | None:
    """A date as YYYYMMDD, so that one mistyped digit is an edit distance of one."""
    return None if day is None else day.strftime("%Y%m%d")


def most_common(values: Iterable[str | None]) -> str | None:
    """The most frequent non-missing value, the smallest among equals (so the choice is reproducible)."""
    counts: dict[str, int] = {}
    for value in values:
        if value:
            counts[value] = counts.get(value, 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda v: (-counts[v], v))
