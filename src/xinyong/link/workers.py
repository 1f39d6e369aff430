"""Worker processes that compute a linkage run's comparison keys on every core.

Normalising names and addresses is pure Python, one value at a time, and a run of a million records has
a million distinct names and addresses: on one core that is most of a run's time outside Splink. A run
with enough records forks workers once, before its engine starts any threads (a process forked while
another thread holds a lock inherits the lock held), and `normalise.mapped` hands them the distinct values
no run has computed yet. The keys are the same functions' output whichever process computes them. A run
in a process with other threads (the API's, Spark's) computes them itself.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool
from typing import Final

#: Records a run must have before it starts workers: below it, forking costs more than it saves.
MIN_RECORDS: Final = 50_000
#: Distinct values a call must have before they are shared out (see `normalise.mapped`).
MIN_VALUES: Final = 20_000
#: Values a worker is given at a time.
TASK_SIZE: Final = 2_000


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def alone() -> bool:
    """Whether this process runs no Python thread but the calling one."""
    return threading.active_count() == 1


@contextmanager
def key_workers(records: int, *, processes: int | None = None) -> Iterator[Pool | None]:
    """A pool of forked workers for a run over `records` records, or None where it would not pay (a small
    run, one core), cannot be had (no `fork` on this platform) or would not be safe: a process that runs
    other Python threads (a web server's, a Spark session's gateway) is not forked, as a child could inherit
    a lock one of them held. Closed and joined on the way out."""
    size = processes if processes is not None else cores()
    if records < MIN_RECORDS or size < 2 or "fork" not in multiprocessing.get_all_start_methods() or not alone():
        yield None
        return
    pool = multiprocessing.get_context("fork").Pool(size)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()
