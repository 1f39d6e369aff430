"""What the portal keeps between requests, on the app it is served by: the search index, the oversight
figures of the last minute, and when it last signed an audit checkpoint for a report."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request

from xinyong.access import Principal
from xinyong.audit import Checkpoint
from xinyong.auditing import checkpoint, latest_checkpoint
from xinyong.bootstrap import Services
from xinyong.portal.search import SearchIndex

#: Seconds the oversight figures are reused before they are counted again.
FIGURES_TTL_S = 60.0
#: At most one new signed checkpoint per this many seconds for reports, unless the app says otherwise.
CHECKPOINT_EVERY_S = 10.0
_create_lock = threading.Lock()


class KeyMemory(Protocol):
    """The app's short memory of authenticated keys (the API's key cache), shared with the portal."""

    def get(self, token: str) -> Principal | None: ...

    def put(self, token: str, principal: Principal) -> None: ...


@dataclass
class Cached:
    """A value computed at most once per `ttl` seconds, by one thread at a time."""

    ttl: float
    clock: Callable[[], float] = time.monotonic
    _value: Any = None
    _at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, compute: Callable[[], Any]) -> Any:
        """The value, recomputed when it is older than `ttl`."""
        with self._lock:
            now = self.clock()
            if self._at is None or now - self._at >= self.ttl:
                self._value = compute()
                self._at = self.clock()
            return self._value

    def clear(self) -> None:
        """Forget the value, so the next `get` computes it afresh."""
        with self._lock:
            self._at = None


@dataclass
class Recent:
    """The last `size` values made for their keys (public credit reports, which cost a font's parsing each)."""

    size: int = 128
    _values: OrderedDict[Hashable, bytes] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The value kept for `key`, else a new one made and kept."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


@dataclass
class PortalState:
    """The portal's memory on one app."""

    search: SearchIndex = field(default_factory=SearchIndex)
    figures: dict[str, Cached] = field(default_factory=dict)
    reports: Recent = field(default_factory=Recent)
    signed_at: float | None = None
    checkpoint_lock: threading.Lock = field(default_factory=threading.Lock)

    def figures_cache(self, name: str) -> Cached:
        """The cache of one version of the oversight figures."""
        with _create_lock:
            return self.figures.setdefault(name, Cached(FIGURES_TTL_S))


def services_of(request: Request) -> Services:
    """The services of the app serving this request."""
    services: Services = request.app.state.services
    return services


def portal_state(request: Request) -> PortalState:
    """The portal's memory on the app serving this request, made on first use."""
    state = getattr(request.app.state, "portal", None)
    if isinstance(state, PortalState):
        return state
    with _create_lock:
        state = getattr(request.app.state, "portal", None)
        if not isinstance(state, PortalState):
            state = PortalState()
            request.app.state.portal = state
    return state


def key_cache(request: Request) -> KeyMemory | None:
    """The app's key cache, when it has one."""
    keys = getattr(request.app.state, "key_cache", None)
    return keys if keys is not None and hasattr(keys, "get") and hasattr(keys, "put") else None


def report_checkpoint(request: Request) -> Checkpoint:
    """A signed checkpoint for a report: the latest one, or a fresh one when the log grew and the last
    signature is older than the interval (signing writes, so anonymous downloads cannot force one each)."""
    services = services_of(request)
    state = portal_state(request)
    limits = getattr(request.app.state, "limits", None)
    every = float(getattr(limits, "checkpoint_every_s", CHECKPOINT_EVERY_S))
    with state.checkpoint_lock:
        latest = latest_checkpoint(services.store)
        now = time.monotonic()
        if latest is None or state.signed_at is None or now - state.signed_at >= every:
            latest = checkpoint(services.store, services.audit_key, services.clock)
            state.signed_at = now
        return latest
