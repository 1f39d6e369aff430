"""Tables for linkage runs, match explanations and the review queue (on the shared metadata)."""

from __future__ import annotations

from xinyong.store.schema import metadata

__all__ = ["metadata"]
