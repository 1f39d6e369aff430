"""Keeps a replica's index current: publish what the store gained, then apply the feed, every poll interval.

A replica holds nothing the store cannot rebuild, so any number of them answer alike, each at most one
poll interval (plus the time to publish) behind the store.
"""

from __future__ import annotations

import logging
import threading

from xinyong.catalog.model import Catalog
from xinyong.clock import Clock
from xinyong.errors import XinyongError
from xinyong.screening.index import ScreeningIndex
from xinyong.screening.publisher import publish
from xinyong.store import Store

log = logging.getLogger("xinyong.screening")


class Follower:
    """A daemon thread that publishes and refreshes one index until stopped."""

    def __init__(self, index: ScreeningIndex, store: Store, clock: Clock, catalog: Catalog, poll_ms: int) -> None:
        self.index = index
        self._store = store
        self._clock = clock
        self._catalog = catalog
        self._interval = poll_ms / 1000
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xinyong-screening", daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def step(self) -> int:
        """One round: publish, then apply; returns the events applied."""
        publish(self._store, self._catalog, self._clock)
        return self.index.refresh(self._store)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.step()
            except XinyongError as exc:  # a database hiccup must not kill the replica; the next round retries
                log.warning("screening refresh failed: %s", exc.one_line())
