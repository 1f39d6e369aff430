"""Tables for API principals and keys, screening checks and the change feed (on the shared metadata)."""

from __future__ import annotations

from xinyong.store.schema import metadata

__all__ = ["metadata"]
