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

    from xinyong.auditing import AuditSink
    from xinyong.screening import ScreeningIndex
    from xinyong.screening.follower import Follower
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
        """Stop background threads, write queued audit entries and release the database (a command's last step)."""
        if "follower" in self.__dict__:
            self.follower.stop()
        if "audit_writer" in self.__dict__:
            self.audit_writer.close()
        if "store" in self.__dict__:
            self.store.dispose()

    @cached_property
    def screening(self) -> ScreeningIndex:
        """The in-memory screening index, built from the store on first use (publishing what is new first)."""
        from xinyong.screening import ScreeningIndex, publish

        publish(self.store, self.catalog, self.clock)
        return ScreeningIndex.build(self.store, self.catalog)

    @cached_property
    def follower(self) -> Follower:
        """The thread that keeps `screening` current (started by the server, not by one-shot commands)."""
        from xinyong.screening.follower import Follower

        return Follower(self.screening, self.store, self.clock, self.catalog, self.settings.index_poll_ms).start()

    @cached_property
    def store(self) -> Store:
        from xinyong.store import Store

        return self._store or Store(self.settings.database_url)

    @cached_property
    def audit_writer(self) -> AuditSink:
        """The batched audit writer for hot paths (screening checks), started on first use: a child process of
        its own (`XINYONG_AUDIT_WRITER=process`, unless the database lives only in this process's memory) or a
        thread of this one."""
        from xinyong.audit_worker import ProcessAuditWriter
        from xinyong.auditing import AuditWriter

        if self.settings.audit_writer == "process" and self.store.shareable:
            return ProcessAuditWriter(self.store.url, flush_ms=self.settings.audit_flush_ms)
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
