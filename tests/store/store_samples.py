"""Instants and types the store tests share (a plain module: conftest files are not for importing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from xinyong.clock import CST
from xinyong.store import RecordData

#: When the first versions are recorded; later instants are offsets from here.
T0 = datetime(2024, 3, 1, 9, 30, tzinfo=CST)

MakeRecord = Callable[..., RecordData]


def at(days: float) -> datetime:
    """An instant `days` after T0."""
    return T0 + timedelta(days=days)
