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
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from xinyong.auditing import AuditWriter
    from xinyong.store import Store


@dataclass
class Services:
    """Everything an entry point needs, built once from the settings; nothing happens at import time."""

    settings: Settings
    clock: Clock
    catalog: Catalog
    _store: Store | None = field(default=None, repr=False)

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections (a command's last step)."""
        if "store" in self.__dict__:
            self.store.dispose()

    @cached_property
    def store(self) -> Store:
        from xinyong.store import Store

        return self._store or Store(self.settings.database_url)

    @cached_property
    def audit_writer(self) -> AuditWriter:
        """The batched audit writer for hot paths (screening checks); its thread starts on first use."""
        from xinyong.auditing import AuditWriter

        return AuditWriter(self.store, flush_ms=self.settings.audit_flush_ms)

    @cached_property
    def audit_key(self) -> Ed25519PrivateKey:
        """The checkpoint signing key, `<XINYONG_HOME>/audit_key.pem`, made on first use."""
        from xinyong.auditing import load_or_create_key

        return load_or_create_key(self.settings.home)


def build(settings: Settings | None = None) -> Services:
    """Build the services for a deployment (or a test) from its settings."""
    settings = settings or load_settings()
    return Services(
        settings=settings,
        clock=clock_from(settings.now),
        catalog=load_catalog(settings.catalog_extra),
    )
