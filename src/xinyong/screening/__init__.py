"""Screening: publishing measure targets from the store, the in-memory index platforms check against,
and the change feed they follow."""

from xinyong.screening.checks import audit_events, check_in_store, request_event
from xinyong.screening.feed import CLEAR_IDS, FeedItem, changes_for, feed_key, read_event
from xinyong.screening.files import subject_file
from xinyong.screening.index import BatchError, BatchTally, ScreeningIndex
from xinyong.screening.publisher import publish

__all__ = [
    "CLEAR_IDS",
    "BatchError",
    "BatchTally",
    "FeedItem",
    "ScreeningIndex",
    "audit_events",
    "changes_for",
    "check_in_store",
    "feed_key",
    "publish",
    "read_event",
    "request_event",
    "subject_file",
]
