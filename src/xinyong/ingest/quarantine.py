"""The quarantine file of a batch: every rejected row with its row number, the field, the reason and the
values as the agency sent them. CSV in UTF-8 with a byte-order mark, so Excel shows the Chinese; every cell
defused, so a hostile value opens as text, never as a formula."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from xinyong.errors import ConfigError
from xinyong.ingest.mapping import original_values
from xinyong.ingest.rows import RawRow, Rejection
from xinyong.text import defuse_formula

#: The leading columns; the agency's own columns follow, then any the first file did not have, as JSON.
LEAD = ("file", "row", "field", "reason")
OTHER = "other columns"


def quarantine_path(home: Path, batch_pk: int) -> Path:
    """Where a batch's rejected rows go."""
    return home / "quarantine" / f"{batch_pk}.csv"


class Quarantine:
    """Rejected rows written as they come; the file is created at the first one, so a clean batch has none."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = tuple(dict.fromkeys(columns))
        self.rows = 0
        self._file: IO[str] | None = None
        self._csv: csv.DictWriter[str] | None = None

    @property
    def written(self) -> Path | None:
        """The file, once a row has been rejected."""
        return self.path if self.rows else None

    def add(self, raw: RawRow, rejection: Rejection) -> None:
        """Append one rejected row."""
        if self._csv is None:
            self._open()
        assert self._csv is not None  # opened just above
        values = original_values(raw)
        line: dict[str, str] = {
            "file": raw.file,
            "row": str(raw.number),
            "field": rejection.field,
            "reason": rejection.reason,
        }
        for column in self.columns:
            value = values.pop(column, None)
            line[column] = "" if value is None else value
        if values:
            line[OTHER] = json.dumps(values, ensure_ascii=False)
        self._csv.writerow({key: defuse_formula(text) for key, text in line.items()})
        self.rows += 1

    def flush(self) -> None:
        """Hand what is written to the operating system before the chunk's rows commit."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise ConfigError(f"XINYONG_HOME: cannot write {self.path}: {exc.strerror or exc}") from None
        names = [*LEAD, *(c for c in self.columns if c not in LEAD), OTHER]
        self.columns = tuple(c for c in self.columns if c not in LEAD)
        self._csv = csv.DictWriter(self._file, fieldnames=names, restval="")
        self._csv.writeheader()
