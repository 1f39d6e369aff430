"""Canonical bytes, leaf hashes and the hash chain of audit entries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise
from types import MappingProxyType
from typing import Any

import pytest

from xinyong.audit import GENESIS, AuditEntry, canonical_bytes, chain_hash, leaf_hash, seal
from xinyong.clock import CST
from xinyong.errors import InvalidInput

SAMPLE = AuditEntry(
    seq=7,
    at=datetime(2024, 3, 1, 9, 30, 15, 250000, tzinfo=CST),
    actor="platform:12306",
    role="platform",
    action="check",
    object="subject:S000042",
    purpose="购票 ticket sale",
    result="deny",
    detail={"matched": ["court.defaulter"], "action": "no_rail_travel", "n": 2, "ok": False, "note": None},
)


def test_canonical_bytes_are_sorted_compact_utf8_json_in_utc() -> None:
    expected = (
        '{"action":"check","actor":"platform:12306",'
        '"at":"2024-03-01T01:30:15.250000+00:00",'
        '"detail":{"action":"no_rail_travel","matched":["court.defaulter"],"n":2,"note":null,"ok":false},'
        '"object":"subject:S000042","purpose":"购票 ticket sale","result":"deny","role":"platform"}'
    )
    assert canonical_bytes(SAMPLE) == expected.encode("utf-8")


def test_leaf_hash_is_frozen() -> None:
    # Changing the canonical form would break every stored log; this literal makes that loud.
    assert leaf_hash(SAMPLE) == hashlib.sha256(b"\x00" + canonical_bytes(SAMPLE)).digest()
    assert leaf_hash(SAMPLE).hex() == LEAF_HEX


# SHA-256 of 0x00 followed by the bytes above, computed independently with printf | sha256sum.
LEAF_HEX = "c69c1df1cd913a52b8a200c73fea280dd445c1e21d48683704927beed43c4e54"


def test_same_instant_in_another_zone_hashes_the_same() -> None:
    in_utc = replace(SAMPLE, at=SAMPLE.at.astimezone(UTC))
    assert canonical_bytes(in_utc) == canonical_bytes(SAMPLE)


def test_detail_key_order_and_mapping_type_do_not_matter() -> None:
    shuffled = dict(reversed(list(SAMPLE.detail.items())))
    assert leaf_hash(replace(SAMPLE, detail=shuffled)) == leaf_hash(SAMPLE)
    assert leaf_hash(replace(SAMPLE, detail=MappingProxyType(dict(SAMPLE.detail)))) == leaf_hash(SAMPLE)
    assert leaf_hash(replace(SAMPLE, detail={**SAMPLE.detail, "matched": ("court.defaulter",)})) == leaf_hash(SAMPLE)


def test_every_hashed_field_changes_the_leaf() -> None:
    base = leaf_hash(SAMPLE)
    changes: dict[str, Any] = {
        "at": SAMPLE.at.replace(microsecond=250001),
        "actor": "platform:12307",
        "role": "regulator",
        "action": "file.read",
        "object": "subject:S000043",
        "purpose": None,
        "result": "allow",
        "detail": {**SAMPLE.detail, "n": 3},
    }
    for name, value in changes.items():
        assert leaf_hash(replace(SAMPLE, **{name: value})) != base, name


def test_seq_is_not_hashed_because_position_is_bound_by_the_chain() -> None:
    assert leaf_hash(replace(SAMPLE, seq=8)) == leaf_hash(SAMPLE)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"at": datetime(2024, 3, 1, 9, 30)}, "at", "no time zone"),
        ({"at": "2024-03-01T09:30:00+08:00"}, "at", "not a datetime"),
        ({"actor": None}, "actor", "not text"),
        ({"purpose": 3}, "purpose", "not text"),
        ({"detail": {"score": 0.93}}, "detail.score", "is a float"),
        ({"detail": {"x": float("nan")}}, "detail.x", "not finite"),
        ({"detail": {1: "a"}}, "detail", "key 1 is not text"),
        ({"detail": {"tags": [{"when": SAMPLE.at}]}}, "detail.tags[0].when", "datetime is not a JSON value"),
        ({"detail": ["not", "an", "object"]}, "detail", "not a JSON object"),
    ],
)
def test_bad_entries_raise_a_typed_error_naming_the_field(change: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        canonical_bytes(replace(SAMPLE, **change))
    assert caught.value.field == field


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(InvalidInput, match="surrogate"):
        canonical_bytes(replace(SAMPLE, actor="bad \ud800"))


def test_chain_starts_from_genesis_and_links_each_leaf(make_entry: Callable[[int], AuditEntry]) -> None:
    rows = list(seal(make_entry(seq) for seq in range(1, 4)))
    assert bytes(32) == GENESIS
    first_leaf = leaf_hash(make_entry(1))
    assert rows[0].leaf_hash == first_leaf.hex()
    assert rows[0].chain_hash == hashlib.sha256(bytes(32) + first_leaf).hexdigest()
    for before, row in pairwise(rows):
        assert row.chain_hash == chain_hash(bytes.fromhex(before.chain_hash), bytes.fromhex(row.leaf_hash)).hex()
    assert [row.entry() for row in rows] == [make_entry(seq) for seq in range(1, 4)]


def test_sealing_in_batches_continues_the_same_chain(make_entry: Callable[[int], AuditEntry]) -> None:
    at_once = list(seal(make_entry(seq) for seq in range(1, 8)))
    first = list(seal(make_entry(seq) for seq in range(1, 4)))
    rest = list(seal((make_entry(seq) for seq in range(4, 8)), bytes.fromhex(first[-1].chain_hash)))
    assert first + rest == at_once


def test_seal_refuses_a_short_previous_chain_hash(make_entry: Callable[[int], AuditEntry]) -> None:
    with pytest.raises(InvalidInput) as caught:
        list(seal([make_entry(1)], b"\x00" * 31))
    assert caught.value.field == "prev_chain"


def test_seal_refuses_seqs_that_do_not_run_on(make_entry: Callable[[int], AuditEntry]) -> None:
    with pytest.raises(InvalidInput, match="3 does not follow 1") as caught:
        list(seal([make_entry(1), make_entry(3)]))
    assert caught.value.field == "seq"
    with pytest.raises(InvalidInput, match="not a positive sequence number"):
        list(seal([make_entry(0)]))
