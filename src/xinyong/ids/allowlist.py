"""The operator's allow-list: issued codes that fail a check, admitted one by one, never by a lenient mode."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from xinyong.errors import ConfigError
from xinyong.ids.model import compact
from xinyong.ids.uscc import ALPHABET

FILE_NAME = "allowlist.txt"


@dataclass(frozen=True)
class AllowList:
    """Normalised codes an operator vouches for, such as pilot-era Fujian USCCs whose check is off."""

    codes: frozenset[str] = frozenset()

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and compact(code) in self.codes

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def from_lines(cls, lines: Iterable[str], source: str = "allow-list") -> AllowList:
        """Parse one code a line; `#` starts a comment and blank lines are skipped."""
        codes: set[str] = set()
        for number, line in enumerate(lines, start=1):
            text = compact(line.split("#", 1)[0])
            if not text:
                continue
            # Only the 18-character shape both kinds share may be listed, so a typo in the file
            # fails loudly instead of admitting nothing.
            if len(text) != 18 or any(ch not in ALPHABET for ch in text):
                raise ConfigError(f"{source} line {number}: {text!r} is not an 18-character USCC or resident ID")
            codes.add(text)
        return cls(frozenset(codes))

    @classmethod
    def load(cls, path: Path) -> AllowList:
        """Read the allow-list file (UTF-8)."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"allow-list {path}: cannot be read ({exc.__class__.__name__})") from None
        return cls.from_lines(text.splitlines(), source=str(path))


def load_from_home(home: Path) -> AllowList | None:
    """The allow-list at `<home>/allowlist.txt`, or None when the deployment has none."""
    path = home / FILE_NAME
    return AllowList.load(path) if path.is_file() else None
