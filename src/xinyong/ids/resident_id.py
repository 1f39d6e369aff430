"""The citizen identity number of a natural person (GB 11643-1999): region, birth date, sequence and check.

A person's number is personal information: `mask` keeps only the region and the last four characters,
and every display of a person's number outside their own file goes through it.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Final

from xinyong.clock import SystemClock
from xinyong.clock import today as clock_today
from xinyong.errors import InvalidInput
from xinyong.ids.divisions import RESIDENT_EXTRA, division_problem
from xinyong.ids.model import IdCheck, IdKind, compact

# W_i = 2^(18-i) mod 11 for positions 1..17 (ISO 7064 MOD 11-2).
WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS: Final = "10X98765432"
# The standard's own circulated example is born in 1880; earlier than 1850 cannot be a living holder.
EARLIEST_BIRTH: Final = date(1850, 1, 1)
OLD_FORMAT_REASON: Final = "15-digit pre-1999 number; convert to 18 digits"


def normalize(raw: str) -> str:
    """The number folded to half-width digits with a capital X, without spaces or dashes."""
    return compact(raw)


def check_char(code17: str) -> str:
    """The ISO 7064 MOD 11-2 check character over the first 17 digits."""
    total = sum(int(ch) * w for ch, w in zip(code17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def _date_or_none(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def _problem(code: str, today: date | None) -> str | None:
    """The first rule the number breaks; the future-birth rule only when `today` is given."""
    if len(code) == 15 and code.isascii() and code.isdigit():
        return OLD_FORMAT_REASON
    if len(code) != 18:
        return f"a resident ID has 18 characters, found {len(code)}"
    for pos, ch in enumerate(code[:17], start=1):
        if not ("0" <= ch <= "9"):
            return f"character {ch!r} at position {pos} must be a digit"
    if not ("0" <= code[17] <= "9" or code[17] == "X"):
        return f"character {code[17]!r} at position 18 must be a digit or X"
    if why := division_problem(code[:6], "1-6", extra=RESIDENT_EXTRA):
        return why
    born = _date_or_none(code[6:14])
    if born is None:
        return f"impossible birth date {code[6:14]} at positions 7-14"
    if born < EARLIEST_BIRTH:
        return f"birth date {born.isoformat()} is before {EARLIEST_BIRTH.isoformat()}"
    if today is not None and born > today:
        return f"birth date {born.isoformat()} is in the future (today is {today.isoformat()})"
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"wrong check character at position 18: expected {expected}, found {code[17]}"
    return None


def validate(code: str, today: date | None = None) -> IdCheck:
    """Check a resident ID against its structure and check character; `today` defaults to the CST date."""
    norm = normalize(code)
    when = today if today is not None else clock_today(SystemClock())
    why = _problem(norm, when)
    return IdCheck(
        valid=why is None,
        kind="resident_id",
        normalized=norm if len(norm) in (15, 18) else None,
        reason=why,
    )


def looks_like(code: str) -> bool:
    """Seventeen digits, a digit or X, and a plausible birth-date shape; or an old 15-digit number."""
    if len(code) == 15:
        return code.isascii() and code.isdigit()
    if len(code) != 18 or not (code[:17].isascii() and code[:17].isdigit()):
        return False
    if not ("0" <= code[17] <= "9" or code[17] == "X"):
        return False
    # Month and day in range is enough to call it a person's number; an impossible day like
    # 0231 still reads as a resident ID whose birth date is wrong, not as a USCC.
    century, month, day = code[6:8], int(code[10:12]), int(code[12:14])
    return century in {"18", "19", "20"} and 1 <= month <= 12 and 1 <= day <= 31


def _structural(code: str) -> str:
    norm = normalize(code)
    if why := _problem(norm, None):
        raise InvalidInput(why, field="resident_id")
    return norm


def birth_date(code: str) -> date:
    """The birth date written in a well-formed resident ID."""
    norm = _structural(code)
    return date(int(norm[6:10]), int(norm[10:12]), int(norm[12:14]))


def is_female(code: str) -> bool:
    """Whether the sequence code (positions 15-17) is even, which GB 11643 assigns to women."""
    return int(_structural(code)[14:17]) % 2 == 0


def mask(code: str) -> str:
    """The number with the birth date and sequence hidden: `110105********002X`; never reveals more."""
    norm = normalize(code)
    if len(norm) == 18:
        return norm[:6] + "*" * 8 + norm[-4:]
    if len(norm) == 15:
        # Old numbers: region, then YYMMDD hidden, then the 3-digit sequence.
        return norm[:6] + "*" * 6 + norm[-3:]
    return "*" * len(norm)


def generate(rng: random.Random, division: str, birth: date, female: bool) -> str:
    """A valid resident ID for a person born on `birth` in `division`, with a sequence of the right parity."""
    if why := division_problem(division, "1-6", extra=RESIDENT_EXTRA):
        raise InvalidInput(why, field="division")
    if birth < EARLIEST_BIRTH:
        raise InvalidInput(f"birth date {birth.isoformat()} is before 1900", field="birth")
    sequence = rng.randrange(2 if female else 1, 1000, 2)
    code17 = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return code17 + check_char(code17)


def upgrade_15(code: str) -> str:
    """The 18-digit form of an old 15-digit number: the century 19 inserted and the check digit appended."""
    norm = normalize(code)
    if not (len(norm) == 15 and norm.isascii() and norm.isdigit()):
        raise InvalidInput(f"{norm!r} is not a 15-digit resident ID", field="resident_id")
    # Numbers of the 1989 standard were issued to people living in 1999, so the century is 19.
    code17 = norm[:6] + "19" + norm[6:]
    upgraded = code17 + check_char(code17)
    if why := _problem(upgraded, None):
        raise InvalidInput(f"{norm!r} cannot be upgraded: {why}", field="resident_id")
    return upgraded


def _check(code: str, today: date | None) -> IdCheck:
    return validate(code, today)


KIND: Final = IdKind(name="resident_id", looks_like=looks_like, check=_check, mask=mask)
