"""Pacing CPython's cyclic garbage collector while a bulk job (a load, a linkage run) is under way.

A bulk job allocates millions of short-lived tuples and dicts, and at CPython's thresholds the collector
runs every 700 of them and, as the job's data grow, keeps traversing them all: a fifth of a load's time at
300,000 rows, half of a linkage run's reading of a million records. Almost nothing such a job makes is
cyclic (reference counting frees it), so the collector runs far less often while any bulk job is under way
in the process, and as before once the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

#: The cyclic garbage collector's thresholds during a bulk job (CPython's are 700, 10, 10).
BULK_GC_THRESHOLDS: Final = (50_000, 20, 100)
_paced = 0
_pacing = threading.Lock()
_thresholds: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def paced() -> Iterator[None]:
    """The collector at `BULK_GC_THRESHOLDS` (or the process's own, where higher) until the last bulk job ends."""
    global _paced, _thresholds
    with _pacing:
        if _paced == 0:
            _thresholds = gc.get_threshold()
            gc.set_threshold(*(max(now, wanted) for now, wanted in zip(_thresholds, BULK_GC_THRESHOLDS, strict=True)))
        _paced += 1
    try:
        yield
    finally:
        with _pacing:
            _paced -= 1
            if _paced == 0:
                gc.set_threshold(*_thresholds)
