"""Tables for objections, repairs and notices (on the shared metadata)."""

from __future__ import annotations

from xinyong.store.schema import metadata

__all__ = ["metadata"]
