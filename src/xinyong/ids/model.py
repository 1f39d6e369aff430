"""The outcome of checking an identifier, the shared clean-up of typed codes, and the shape of a kind."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

Kind = Literal["uscc", "resident_id"]


@dataclass(frozen=True)
class IdCheck:
    """Whether a code is a valid identifier of a kind, its normalised form and, when not valid, why."""

    valid: bool
    kind: Kind | None
    normalized: str | None  # normalised form when the shape is recognisable
    reason: str | None  # None when valid
    allowlisted: bool = False  # valid only because the operator allow-list admits it

    def as_dict(self) -> dict[str, object]:
        """The contract's JSON shape; `allowlisted` appears only when true."""
        out: dict[str, object] = {
            "valid": self.valid,
            "kind": self.kind,
            "normalized": self.normalized,
            "reason": self.reason,
        }
        if self.allowlisted:
            out["allowlisted"] = True
        return out


def compact(raw: str) -> str:
    """A typed or pasted code folded to half-width capitals, without spaces, dashes or invisible marks."""
    if raw.isascii() and raw.isalnum():
        return raw.upper()  # nothing to fold or drop: the common case of a code typed as it should be
    folded = unicodedata.normalize("NFKC", raw).upper()
    # Separators (Zs/Zl/Zp and control whitespace), dashes (Pd) and format marks (Cf: zero-width
    # spaces, BOMs) never belong to a code; they arrive from forms, spreadsheets and OCR.
    kept = "".join(
        ch for ch in folded if not ch.isspace() and unicodedata.category(ch) not in {"Pd", "Cf", "Zs", "Zl", "Zp"}
    )
    # Normalise again so that dropping a mark between a letter and its accent cannot leave text
    # that a second pass would change: the fold is idempotent.
    return unicodedata.normalize("NFKC", kept)


@dataclass(frozen=True)
class IdKind:
    """One kind of identifier as the registry sees it: whether a code has its shape, and its full check."""

    name: Kind
    looks_like: Callable[[str], bool]
    check: Callable[[str, date | None], IdCheck]
    mask: Callable[[str], str]
