"""Identifiers of organisations (USCC) and people (resident ID): normalise, validate, mask, generate."""

from __future__ import annotations

from xinyong.ids import resident_id, uscc
from xinyong.ids.allowlist import AllowList, load_from_home
from xinyong.ids.model import IdCheck, IdKind, Kind, compact
from xinyong.ids.registry import check, check_kind

__all__ = [
    "AllowList",
    "IdCheck",
    "IdKind",
    "Kind",
    "check",
    "check_kind",
    "compact",
    "load_from_home",
    "resident_id",
    "uscc",
]
