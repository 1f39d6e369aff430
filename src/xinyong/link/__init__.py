"""Entity resolution: records without a valid identifier resolved to subjects by Splink, with people in
the loop for what the model is unsure of. The only package that imports Splink and DuckDB."""

from __future__ import annotations

from xinyong.link.plan import LinkSummary
from xinyong.link.resolve import link_pending

__all__ = ["LinkSummary", "link_pending"]
