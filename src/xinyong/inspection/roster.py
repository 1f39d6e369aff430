"""The inspector roster (执法检查人员名录库): who may be sent to inspect, per regulator.

The roster is operator data, kept like the allow-list in a CSV file: `<XINYONG_HOME>/inspectors.csv`
by default, with the columns `regulator, code, name, resident_id, conflicts` (conflicts: the USCCs of
organisations the inspector has declared a conflict with, separated by `;` or spaces). Without a file,
a demo roster of twelve unnamed inspectors per regulator stands in, and every draw says so.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from xinyong.errors import InvalidInput
from xinyong.ids import uscc
from xinyong.inspection.draw import Inspector

ROSTER_FILE = "inspectors.csv"
DEMO_SIZE = 12
COLUMNS = ("regulator", "code", "name", "resident_id", "conflicts")


@dataclass(frozen=True)
class Roster:
    """The inspectors of one regulator and where the list came from (a file path, or `demo`)."""

    regulator: str
    inspectors: tuple[Inspector, ...]
    source: str


def default_path(home: Path) -> Path:
    """Where the operator keeps the roster."""
    return home / ROSTER_FILE


def load_roster(regulator: str, *, path: Path | None, home: Path) -> Roster:
    """The regulator's inspectors from `path`, else from the default file, else the demo roster."""
    chosen = path if path is not None else default_path(home)
    if path is None and not chosen.exists():
        return demo_roster(regulator)
    inspectors = tuple(i for r, i in read_roster(chosen) if r == regulator)
    if not inspectors:
        raise InvalidInput(f"the roster {chosen} lists no inspector of {regulator}", field="roster")
    return Roster(regulator, inspectors, str(chosen))


def read_roster(path: Path) -> list[tuple[str, Inspector]]:
    """Every (regulator, inspector) row of a roster file; a bad row names its line and field."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("regulator", "code", "name") if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidInput(f"{path}: missing columns {missing}; expected {list(COLUMNS)}", field="roster")
            rows = list(reader)
    except OSError as exc:
        raise InvalidInput(f"cannot read the roster {path}: {exc.strerror or exc}", field="roster") from None
    out = []
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(rows, start=2):
        regulator, code, name = ((row.get(c) or "").strip() for c in ("regulator", "code", "name"))
        if not (regulator and code and name):
            raise InvalidInput(f"{path} line {line}: regulator, code and name are required", field="roster")
        if (regulator, code) in seen:
            raise InvalidInput(f"{path} line {line}: inspector {code} of {regulator} is listed twice", field="roster")
        seen.add((regulator, code))
        conflicts = frozenset(_conflicts(row.get("conflicts") or "", path, line))
        resident = (row.get("resident_id") or "").strip().upper() or None
        out.append((regulator, Inspector(code=code, name=name, resident_id=resident, conflicts=conflicts)))
    return out


def demo_roster(regulator: str) -> Roster:
    """Twelve placeholder inspectors, for a demo that has no roster file; they declare no conflicts."""
    inspectors = tuple(
        Inspector(code=f"{regulator}/I{i:02d}", name=f"检查员{i:02d} Inspector {i:02d}")
        for i in range(1, DEMO_SIZE + 1)
    )
    return Roster(regulator, inspectors, "demo")


def _conflicts(raw: str, path: Path, line: int) -> list[str]:
    codes = []
    for part in re.split(r"[;\s,]+", raw.strip()):
        if not part:
            continue
        check = uscc.validate(uscc.normalize(part))
        if not check.valid or check.normalized is None:
            raise InvalidInput(
                f"{path} line {line}: conflict {part!r} is not a valid USCC: {check.reason}", field="roster"
            )
        codes.append(check.normalized)
    return codes
