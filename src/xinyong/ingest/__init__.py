"""Ingestion: agency feeds read in any of the four formats, mapped through the catalog's sources, validated
row by row against CONTRACT §3 and stored exactly once per content, with rejected rows quarantined."""

from __future__ import annotations

from xinyong.ingest.batch import CHUNK_ROWS, BatchSummary, ingest_paths

__all__ = ["CHUNK_ROWS", "BatchSummary", "ingest_paths"]
