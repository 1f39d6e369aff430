"""The legal catalog: which records may be kept, which lists and measures follow, and on what legal basis."""

from __future__ import annotations

from xinyong.catalog.loader import default_catalog, load_catalog
from xinyong.catalog.model import (
    EFFECT_STRENGTH,
    Action,
    Agency,
    Catalog,
    LegalBasis,
    ListType,
    Measure,
    Period,
    RecordType,
    RepairRule,
    Source,
)

__all__ = [
    "EFFECT_STRENGTH",
    "Action",
    "Agency",
    "Catalog",
    "LegalBasis",
    "ListType",
    "Measure",
    "Period",
    "RecordType",
    "RepairRule",
    "Source",
    "default_catalog",
    "load_catalog",
]
