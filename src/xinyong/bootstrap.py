"""The one composition root: settings → clock, catalog, store and the services built on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from xinyong.catalog import load_catalog
from xinyong.catalog.model import Catalog
from xinyong.clock import Clock, clock_from
from xinyong.settings import Settings, load_settings

if TYPE_CHECKING:
    from xinyong.store import Store


@dataclass
class Services:
    """Everything an entry point needs, built once from the settings; nothing happens at import time."""

    settings: Settings
    clock: Clock
    catalog: Catalog
    _store: Store | None = field(default=None, repr=False)

    @cached_property
    def store(self) -> Store:
        from xinyong.store import Store

        return self._store or Store(self.settings.database_url)


def build(settings: Settings | None = None) -> Services:
    """Build the services for a deployment (or a test) from its settings."""
    settings = settings or load_settings()
    return Services(
        settings=settings,
        clock=clock_from(settings.now),
        catalog=load_catalog(settings.catalog_extra),
    )
