"""Worker processes that compute a linkage run's comparison keys on every core.

Normalising names is pure Python, one value at a time, and a run of a million records has a million
distinct names: on one core that is much of a run's time outside Splink. A run with enough records starts
workers once and `normalise.mapped` hands them the distinct values no run has computed yet. The keys are
the same functions' output whichever process computes them.

The workers are started fresh (`spawn`), not forked: a run may be called from a process running other
threads (the CLI's progress bar, a web server, a Spark gateway), and a forked child inherits every lock
one of them held at that moment. A fresh worker costs an interpreter's start and the imports, a second or
two once per run, which is why small runs start none.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool
from typing import Final

from xinyong.processes import cores

#: Records a run must have before it starts workers: below it, starting them costs more than they save.
MIN_RECORDS: Final = 50_000
#: Distinct values a call must have before they are shared out (see `normalise.mapped`).
MIN_VALUES: Final = 20_000
#: Values a worker is given at a time.
TASK_SIZE: Final = 2_000


@contextmanager
def key_workers(records: int, *, processes: int | None = None) -> Iterator[Pool | None]:
    """A pool of worker processes for a run over `records` records, or None where it would not pay (a small
    run, one core); closed and joined on the way out."""
    size = processes if processes is not None else cores()
    if records < MIN_RECORDS or size < 2:
        yield None
        return
    pool = multiprocessing.get_context("spawn").Pool(size)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()
