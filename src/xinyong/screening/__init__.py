"""Screening: publishing measure targets from the store, the in-memory index platforms check against,
and the change feed they follow."""

from xinyong.screening.checks import audit_events, check_in_store
from xinyong.screening.feed import FeedItem, changes_for, feed_key
from xinyong.screening.files import subject_file
from xinyong.screening.index import BatchError, ScreeningIndex
from xinyong.screening.publisher import publish

__all__ = [
    "BatchError",
    "FeedItem",
    "ScreeningIndex",
    "audit_events",
    "changes_for",
    "check_in_store",
    "feed_key",
    "publish",
    "subject_file",
]
