"""Screening: publishing measure targets from the store, the in-memory index platforms check against,
and the change feed they follow."""

from xinyong.screening.feed import FeedItem, changes_for
from xinyong.screening.files import subject_file
from xinyong.screening.index import BatchError, ScreeningIndex
from xinyong.screening.publisher import publish

__all__ = ["BatchError", "FeedItem", "ScreeningIndex", "changes_for", "publish", "subject_file"]
