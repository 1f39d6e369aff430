"""The change feed a platform follows: every start, change and removal of a measure it enforces, in order,
with identifiers as keyed hashes unless its scope allows the clear value."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from xinyong.catalog.model import Catalog
from xinyong.store import Connection, screening
from xinyong.store.audit_rows import Concerns, Event

#: The grant (in a key's scopes) that lets a platform's feed carry identifiers in the clear.
CLEAR_IDS = "feed:clear-ids"
#: The purpose feed reads are logged with, in the log and in the access log of each subject a clear page names.
FEED_PURPOSE = "change feed"


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One measure's window as a platform must now apply it."""

    seq: int
    event: str
    subject: str
    subject_kind: str
    measure: str
    list: str
    effect: str
    actions: tuple[str, ...]
    record: str
    agency: str
    decision_no: str | None
    legal_basis: str
    valid_from: str
    valid_to: str | None
    via: dict[str, str] | None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def feed_key(home: Path) -> bytes:
    """The deployment's secret for hashing identifiers in the feed, created on first use (mode 0600)."""
    path = home / "feed_key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def hashed_id(key: bytes, id_value: str) -> str:
    """HMAC-SHA256 of an identifier: a platform can match its own customers' numbers without learning others'."""
    return "hmac:" + hmac.new(key, id_value.encode("ascii"), hashlib.sha256).hexdigest()


def changes_for(
    conn: Connection,
    catalog: Catalog,
    after: int,
    actions: Collection[str] | None,
    *,
    key: bytes,
    clear_ids: bool = False,
    limit: int = 1000,
) -> tuple[list[FeedItem], int]:
    """Feed items after a cursor for a platform enforcing `actions` (None: all); returns items and next cursor."""
    items: list[FeedItem] = []
    cursor = after
    for event in screening.events_after(conn, after, limit=limit):
        cursor = event.seq
        t = event.target
        if t.target_id is None:
            continue
        subject = t.target_id if clear_ids else hashed_id(key, t.target_id)
        for measure in catalog.measures_for_list(t.list_code):
            if t.via_role is not None and not measure.reaches_legal_rep:
                continue
            relevant = tuple(a for a in measure.actions if actions is None or a in actions)
            if not relevant:
                continue
            items.append(
                FeedItem(
                    seq=event.seq,
                    event=event.event,
                    subject=subject,
                    subject_kind=t.target_kind,
                    measure=measure.code,
                    list=t.list_code,
                    effect=measure.effect,
                    actions=relevant,
                    record=t.record_key,
                    agency=t.agency,
                    decision_no=t.decision_no,
                    legal_basis=measure.legal_basis,
                    valid_from=t.valid_from.isoformat(),
                    valid_to=t.valid_to.isoformat() if t.valid_to else None,
                    via={"role": t.via_role, "of": t.via_id or ""} if t.via_role else None,
                )
            )
    return items, cursor


def read_event(
    *,
    actor: str,
    role: str,
    after: int,
    cursor: int,
    items: Sequence[FeedItem],
    clear_ids: bool,
    now: datetime,
) -> Event:
    """The audit entry of one page of the feed: who read which range, how many items, in the clear or not.

    A page in the clear names people to the platform, so it lists them (hashed with the entry, and in the
    access index) and each finds the read in its own access log; a hashed page names nobody.
    """
    named = list(dict.fromkeys(f"subject:{item.subject}" for item in items)) if clear_ids else []
    return Event(
        at=now,
        actor=actor,
        role=role,
        action="feed.read",
        object="feed:changes",
        purpose=FEED_PURPOSE,
        detail={"after": after, "next": cursor, "items": len(items), "clear_ids": clear_ids},
        concerns=Concerns("read", named, ["ok"] * len(named)) if named else None,
    )
