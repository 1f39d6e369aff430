"""Verification of a stored log: edits, removals, reorderings, rewrites and truncations are named."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from xinyong.audit import (
    EMPTY_ROOT,
    AuditEntry,
    AuditRow,
    Checkpoint,
    entry_of,
    root,
    seal,
    sign_checkpoint,
    verify_against_checkpoint,
    verify_log,
)
from xinyong.errors import AuditBroken, InvalidInput

MakeLog = Callable[[int], list[AuditRow]]
MakeEntry = Callable[[int], AuditEntry]
CONTENT = [f.name for f in fields(AuditRow) if f.name != "seq"]


def swap_content(rows: list[AuditRow], a: int, b: int) -> list[AuditRow]:
    """What `UPDATE audit_log` swapping every column but the key does to rows seq a and b."""
    out = list(rows)
    ra, rb = rows[a - 1], rows[b - 1]
    out[a - 1] = replace(rb, seq=a)
    out[b - 1] = replace(ra, seq=b)
    return out


def checkpoint(rows: list[AuditRow], size: int, key: Ed25519PrivateKey, hours: int = 0) -> Checkpoint:
    leaves = [bytes.fromhex(r.leaf_hash) for r in rows[:size]]
    return sign_checkpoint(size, root(leaves), rows[0].at + timedelta(hours=hours), key)


def test_an_intact_log_verifies(log40: list[AuditRow]) -> None:
    result = verify_log(log40)
    assert result.ok
    assert result.checked == 40
    assert result.first_bad_seq is None
    assert result.problem is None
    assert result.root_hex == root([bytes.fromhex(r.leaf_hash) for r in log40]).hex()
    assert result.chain_hex == log40[-1].chain_hash
    result.raise_if_broken()


def test_an_empty_log_verifies() -> None:
    result = verify_log([])
    assert (result.ok, result.checked, result.root_hex) == (True, 0, EMPTY_ROOT.hex())


def test_an_edited_entry_is_named(log40: list[AuditRow]) -> None:
    rows = list(log40)
    rows[16] = replace(rows[16], actor="platform:someone-else")
    result = verify_log(rows)
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 17, 16)
    assert result.problem == "entry 17 was changed (its content no longer matches its leaf hash)"
    with pytest.raises(AuditBroken, match="entry 17 was changed"):
        result.raise_if_broken()


@pytest.mark.parametrize("column", CONTENT[:-2])
def test_an_edit_to_any_column_is_named(log40: list[AuditRow], column: str) -> None:
    rows = list(log40)
    other = rows[19]  # a record submission, unlike the screening check at seq 22 in every column
    rows[21] = replace(rows[21], **{column: getattr(other, column)})
    result = verify_log(rows)
    assert (result.ok, result.first_bad_seq) == (False, 22)
    assert result.problem is not None
    assert result.problem.startswith("entry 22 ")


def test_only_the_first_of_several_edits_is_named(log40: list[AuditRow]) -> None:
    rows = list(log40)
    rows[30] = replace(rows[30], result="allow-edited")
    rows[8] = replace(rows[8], purpose="no purpose at all")
    assert verify_log(rows).first_bad_seq == 9


def test_a_deleted_entry_is_named(log40: list[AuditRow]) -> None:
    rows = log40[:16] + log40[17:]
    result = verify_log(rows)
    assert (result.ok, result.first_bad_seq) == (False, 17)
    assert result.problem == "entry 17 is missing (seq jumps from 16 to 18)"


def test_a_deleted_first_entry_is_named(log40: list[AuditRow]) -> None:
    result = verify_log(log40[1:])
    assert result.first_bad_seq == 1
    assert result.problem == "entry 1 is missing (the log starts at seq 2)"


def test_swapped_rows_are_named_as_out_of_order(log40: list[AuditRow]) -> None:
    result = verify_log(swap_content(log40, 17, 18))
    assert (result.ok, result.first_bad_seq) == (False, 17)
    assert result.problem == "entry 17 is out of order (its chain hash does not follow from entry 16)"
    far = verify_log(swap_content(log40, 1, 33))
    assert (far.first_bad_seq, far.problem) == (
        1,
        "entry 1 is out of order (its chain hash does not follow from the start of the log)",
    )


def test_rows_read_back_in_the_wrong_order_are_named(log40: list[AuditRow]) -> None:
    rows = list(log40)
    rows[16], rows[17] = rows[17], rows[16]
    result = verify_log(rows)
    assert (result.first_bad_seq, result.problem) == (
        17,
        "entry 17 is out of order (it comes after entry 18)",
    )
    moved_back = [*log40[:10], log40[4], *log40[10:]]
    result = verify_log(moved_back)
    assert (result.first_bad_seq, result.problem) == (5, "entry 5 is out of order (it comes after entry 10)")
    duplicated = [*log40[:10], log40[9], *log40[10:]]
    assert verify_log(duplicated).problem == "entry 10 appears twice"


def test_a_deleted_entry_with_later_seqs_renumbered_is_caught_by_the_chain(log40: list[AuditRow]) -> None:
    rows = log40[:16] + [replace(row, seq=row.seq - 1) for row in log40[17:]]
    result = verify_log(rows)
    assert (result.ok, result.first_bad_seq) == (False, 17)


def test_content_swapped_without_its_hashes_reads_as_changed(log40: list[AuditRow]) -> None:
    rows = list(log40)
    a, b = rows[19], rows[20]
    rows[19] = replace(b, seq=20, leaf_hash=a.leaf_hash, chain_hash=a.chain_hash)
    rows[20] = replace(a, seq=21, leaf_hash=b.leaf_hash, chain_hash=b.chain_hash)
    result = verify_log(rows)
    assert (result.first_bad_seq, result.problem) == (
        20,
        "entry 20 was changed (its content no longer matches its leaf hash)",
    )


def test_an_unreadable_row_is_named_not_raised(log40: list[AuditRow]) -> None:
    rows = list(log40)
    rows[5] = replace(rows[5], at=rows[5].at.replace(tzinfo=None))
    result = verify_log(rows)
    assert result.first_bad_seq == 6
    assert result.problem is not None
    assert result.problem.startswith("entry 6 was changed (at: ")


def test_hex_case_does_not_matter(log40: list[AuditRow]) -> None:
    rows = [replace(r, leaf_hash=r.leaf_hash.upper(), chain_hash=r.chain_hash.upper()) for r in log40]
    assert verify_log(rows).ok


def rewrite_from(rows: list[AuditRow], seq: int, make_entry: MakeEntry) -> list[AuditRow]:
    """An insider with write access edits entry `seq` and recomputes every hash after it."""
    edited = [row.entry() for row in rows]
    edited[seq - 1] = replace(edited[seq - 1], result="edited and re-hashed")
    return list(seal(edited))


def test_a_rewrite_with_recomputed_hashes_passes_without_a_checkpoint(
    log40: list[AuditRow], make_entry: MakeEntry
) -> None:
    # This is why checkpoints are published: the stored hashes alone cannot catch it.
    assert verify_log(rewrite_from(log40, 17, make_entry)).ok


def test_a_rewrite_is_caught_by_the_checkpoints_that_cover_it(
    log40: list[AuditRow], make_entry: MakeEntry, signing_key: Ed25519PrivateKey
) -> None:
    cps = [checkpoint(log40, size, signing_key, hours=size) for size in (10, 20, 30)]
    rewritten = rewrite_from(log40, 17, make_entry)
    result = verify_log(rewritten, checkpoints=cps, public_key=signing_key.public_key())
    assert not result.ok
    assert result.first_bad_seq is None
    assert result.checked == 20
    assert result.checkpoints_checked == 1
    assert result.problem is not None
    assert result.problem.startswith("entries 1 to 20 do not match the checkpoint signed at 2024-03-01T")
    assert "an entry after 10 and no later than 20 was rewritten" in result.problem
    honest = verify_log(log40, checkpoints=cps, public_key=signing_key.public_key())
    assert (honest.ok, honest.checkpoints_checked) == (True, 3)


def test_a_truncated_log_is_caught_by_a_later_checkpoint(log40: list[AuditRow], signing_key: Ed25519PrivateKey) -> None:
    head = checkpoint(log40, 40, signing_key)
    result = verify_against_checkpoint(log40[:35], head, signing_key.public_key())
    assert (result.ok, result.first_bad_seq) == (False, 36)
    assert result.problem is not None
    assert result.problem.startswith("entry 36 is missing (the log ends at entry 35, but the checkpoint")
    assert verify_against_checkpoint(log40, head, signing_key.public_key()).ok


def test_a_forked_checkpoint_is_caught(
    log40: list[AuditRow], signing_key: Ed25519PrivateKey, make_log: MakeLog
) -> None:
    other = list(seal(replace(row.entry(), actor="platform:fork") for row in make_log(40)))
    fork = checkpoint(other, 25, signing_key)
    result = verify_log(log40, checkpoints=[fork], public_key=signing_key.public_key())
    assert not result.ok
    assert result.problem is not None
    assert result.problem.startswith("entries 1 to 25 do not match")


def test_a_forged_checkpoint_is_reported(log40: list[AuditRow], signing_key: Ed25519PrivateKey) -> None:
    cp = replace(checkpoint(log40, 40, signing_key), size=39)
    result = verify_log(log40, checkpoints=[cp], public_key=signing_key.public_key())
    assert not result.ok
    assert result.problem is not None
    assert "does not verify with key" in result.problem


def test_checkpoints_need_the_public_key(log40: list[AuditRow], signing_key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidInput) as caught:
        verify_log(log40, checkpoints=[checkpoint(log40, 40, signing_key)])
    assert caught.value.field == "public_key"


def test_entry_of_reads_a_row_back(log40: list[AuditRow]) -> None:
    assert entry_of(log40[3]) == log40[3].entry()


def test_verification_streams_in_constant_memory(make_entry: MakeEntry) -> None:
    base = make_entry(1)

    def stream(n: int) -> Iterator[AuditRow]:
        return seal(replace(base, seq=seq, at=base.at + timedelta(seconds=seq)) for seq in range(1, n + 1))

    def peak(n: int) -> int:
        tracemalloc.start()
        result = verify_log(stream(n))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert (result.ok, result.checked) == (True, n)
        print(f"verify_log peak memory over {n} rows: {top} bytes")
        return top

    small, large = peak(200), peak(3200)
    # Sixteen times the rows may cost a few more frontier hashes, never memory proportional to the log.
    assert large < small + 4 * 1024
    assert large < 64 * 1024
