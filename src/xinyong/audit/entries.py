"""Audit entries and their hashes: who did what, to which object, for what purpose, with what result.

Each entry becomes one Merkle leaf, `SHA-256(0x00 || canonical_bytes)` as in RFC 9162, and one link
of a hash chain, `SHA-256(previous chain hash || leaf hash)`, starting from 32 zero bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from xinyong.errors import InvalidInput

#: The chain hash that the first entry's link starts from.
GENESIS = bytes(32)

#: RFC 9162 domain separation: leaves are hashed after 0x00, interior nodes after 0x01.
LEAF_PREFIX = b"\x00"

#: Types whose values `_plain` passes through as they are (exact types: subclasses take the careful path).
_SCALARS = frozenset({str, int, bool, type(None)})


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing that happened: a change, or a read of non-public data, with its declared purpose."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    object: str
    purpose: str | None
    result: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ArchivedLeaf:
    """What the live store keeps of an entry whose month was archived: its seq, leaf hash and chain hash
    (lowercase hex). Its content went with the archive; the hashes still carry the chain and the Merkle
    tree, and the archived content can be checked against them."""

    seq: int
    leaf_hash: str
    chain_hash: str


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An entry as stored: the entry's fields with its leaf hash and chain hash in lowercase hex."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    object: str
    purpose: str | None
    result: str
    detail: Mapping[str, Any]
    leaf_hash: str
    chain_hash: str

    def entry(self) -> AuditEntry:
        """The entry without its hashes."""
        return AuditEntry(
            self.seq,
            self.at,
            self.actor,
            self.role,
            self.action,
            self.object,
            self.purpose,
            self.result,
            self.detail,
        )


def instant_text(at: datetime, field_name: str = "at") -> str:
    """An instant as fixed-width ISO 8601 in UTC, so an instant reads back the same from either database."""
    if not isinstance(at, datetime):
        raise InvalidInput(f"{at!r} is not a datetime", field=field_name)
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"{at.isoformat()} has no time zone; audit times must be aware", field=field_name)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(entry: AuditEntry) -> bytes:
    """The entry as canonical JSON: sorted keys, no whitespace, UTF-8, the time in UTC with its offset.

    `seq` is left out: the chain and the tree already bind each entry to its position, so an entry
    moved elsewhere keeps its leaf hash and verification reports it as out of order, not as changed.
    """
    for name in ("actor", "role", "action", "object", "result"):
        _require_text(getattr(entry, name), name)
    if entry.purpose is not None:
        _require_text(entry.purpose, "purpose")
    if not isinstance(entry.detail, Mapping):
        raise InvalidInput(f"{type(entry.detail).__name__} is not a JSON object", field="detail")
    document = {
        "at": instant_text(entry.at),
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "object": entry.object,
        "purpose": entry.purpose,
        "result": entry.result,
        "detail": _plain(entry.detail, "detail"),
    }
    try:
        # orjson writes exactly what json.dumps(sort_keys, compact, ensure_ascii=False) writes (keys sorted by
        # code point, the same escapes), several times faster; tests/audit pins the bytes.
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        pass  # an integer past 64 bits, or a lone surrogate: json writes the one and names the other
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("contains a lone surrogate and cannot be encoded as UTF-8", field="entry") from None


def leaf_hash(entry: AuditEntry) -> bytes:
    """The entry's Merkle leaf hash, `SHA-256(0x00 || canonical_bytes)`."""
    return hashlib.sha256(LEAF_PREFIX + canonical_bytes(entry)).digest()


def chain_hash(prev_chain: bytes, leaf: bytes) -> bytes:
    """The next link of the hash chain, `SHA-256(prev_chain || leaf)`; the first entry's prev is GENESIS."""
    return hashlib.sha256(prev_chain + leaf).digest()


def seal(entries: Iterable[AuditEntry], prev_chain: bytes = GENESIS) -> Iterator[AuditRow]:
    """Rows ready to append after a log whose last chain hash is `prev_chain`; seqs must run on by one.

    Entry seq n is leaf index n - 1 of the Merkle tree.
    """
    if len(prev_chain) != 32:
        raise InvalidInput(f"must be 32 bytes, got {len(prev_chain)}", field="prev_chain")
    chain = prev_chain
    last_seq: int | None = None
    for entry in entries:
        if isinstance(entry.seq, bool) or not isinstance(entry.seq, int) or entry.seq < 1:
            raise InvalidInput(f"{entry.seq!r} is not a positive sequence number", field="seq")
        if last_seq is not None and entry.seq != last_seq + 1:
            raise InvalidInput(f"{entry.seq} does not follow {last_seq}", field="seq")
        last_seq = entry.seq
        leaf = leaf_hash(entry)
        chain = chain_hash(chain, leaf)
        yield AuditRow(
            entry.seq,
            entry.at,
            entry.actor,
            entry.role,
            entry.action,
            entry.object,
            entry.purpose,
            entry.result,
            entry.detail,
            leaf.hex(),
            chain.hex(),
        )


def _require_text(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"{type(value).__name__} is not text", field=name)


def _plain(value: object, path: str) -> Any:
    """The value as plain JSON types, admitting only values whose text survives either database unchanged."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # A float's text changes between drivers (1e20 may come back as an integer), so its hash would too.
        reason = "is not finite" if not math.isfinite(value) else "is a float; store it as text or an integer"
        raise InvalidInput(f"{value!r} {reason}", field=path)
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"key {key!r} is not text", field=path)
            plain[key] = _plain(item, f"{path}.{key}")
        return plain
    if isinstance(value, list | tuple):
        if _SCALARS.issuperset(map(type, value)):
            return value  # a long list of identifiers (a batch check's subjects) is checked in one pass in C
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise InvalidInput(f"{type(value).__name__} is not a JSON value", field=path)
