"""Verification of a stored audit log, row by row in constant memory, naming the first entry that broke.

Each row's content is hashed again and compared with its stored leaf hash (an edit shows there; an archived
entry's leaf hash stands for its content, which went to the archive), its
chain link is recomputed from the start (a moved entry shows there), its seq must follow the previous
one (a removal shows there), and the running Merkle root must equal every signed checkpoint's root at
that size (a rewrite that recomputed all the hashes, or a truncated tail, shows there).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from xinyong.audit.checkpoints import Checkpoint, public_key_id, verify_checkpoint
from xinyong.audit.entries import GENESIS, ArchivedLeaf, AuditEntry, chain_hash, leaf_hash
from xinyong.audit.merkle import MerkleAccumulator
from xinyong.errors import AuditBroken, InvalidInput


class StoredRow(Protocol):
    """A row of the `audit_log` table as the store reads it back, hashes in hex."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def object(self) -> str: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def result(self) -> str: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...
    @property
    def leaf_hash(self) -> str: ...
    @property
    def chain_hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of a verification: how many entries held, and the first one that did not."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str | None
    #: Merkle root and last chain hash over the entries checked, when the whole log verified.
    root_hex: str | None = None
    chain_hex: str | None = None
    checkpoints_checked: int = 0

    def raise_if_broken(self) -> None:
        """Raise AuditBroken with the problem when the log did not verify."""
        if not self.ok:
            raise AuditBroken(self.problem or "the audit log does not verify")


def entry_of(row: StoredRow) -> AuditEntry:
    """The audit entry a stored row holds, without its hashes."""
    return AuditEntry(row.seq, row.at, row.actor, row.role, row.action, row.object, row.purpose, row.result, row.detail)


def verify_log(
    rows: Iterable[StoredRow | ArchivedLeaf],
    *,
    checkpoints: Iterable[Checkpoint] = (),
    public_key: Ed25519PublicKey | None = None,
) -> VerifyResult:
    """Check the log in seq order, and each signed checkpoint (with the key that signed it) at its size."""
    pending = sorted(checkpoints, key=lambda cp: cp.size)
    if pending and public_key is None:
        raise InvalidInput("is needed to check signed checkpoints", field="public_key")
    for cp in pending:
        if public_key is not None and not verify_checkpoint(cp, public_key):
            return VerifyResult(
                False,
                0,
                None,
                f"the checkpoint of {cp.size} entries signed at {_when(cp.at)} does not verify "
                f"with key {public_key_id(public_key)}",
            )

    acc = MerkleAccumulator()
    chain = GENESIS
    prev_seq = 0
    matched_size = 0  # size of the last checkpoint whose root matched
    cp_index = 0

    def failure(first_bad: int | None, problem: str) -> VerifyResult:
        return VerifyResult(False, acc.size, first_bad, problem, checkpoints_checked=cp_index)

    def checkpoint_problem() -> VerifyResult | None:
        nonlocal cp_index, matched_size
        while cp_index < len(pending) and pending[cp_index].size == acc.size:
            cp = pending[cp_index]
            if acc.root().hex() != cp.root_hex.lower():
                return failure(
                    None,
                    f"entries 1 to {cp.size} do not match the checkpoint signed at {_when(cp.at)}: "
                    f"an entry after {matched_size} and no later than {cp.size} was rewritten "
                    "together with its hashes",
                )
            matched_size = cp.size
            cp_index += 1
        return None

    if (bad := checkpoint_problem()) is not None:
        return bad
    it = iter(rows)
    for row in it:
        seq = row.seq
        if seq != prev_seq + 1:
            if seq == prev_seq:
                return failure(seq, f"entry {seq} appears twice")
            if seq < prev_seq:
                return failure(seq, f"entry {seq} is out of order (it comes after entry {prev_seq})")
            # A jump: one row of look-ahead tells a swapped pair from a removal.
            following = next(it, None)
            if following is not None and prev_seq < following.seq < seq:
                return failure(following.seq, f"entry {following.seq} is out of order (it comes after entry {seq})")
            missing = prev_seq + 1
            jump = f"the log starts at seq {seq}" if prev_seq == 0 else f"seq jumps from {prev_seq} to {seq}"
            return failure(missing, f"entry {missing} is missing ({jump})")
        if isinstance(row, ArchivedLeaf):
            # Archived: the content is in the archive, the leaf hash stands for it here (a changed leaf
            # shows in the chain below and in every signed root after it).
            leaf = _leaf_bytes(row.leaf_hash)
            if leaf is None:
                return failure(seq, f"archived entry {seq} has no valid leaf hash")
        else:
            try:
                leaf = leaf_hash(entry_of(row))
            except InvalidInput as exc:
                return failure(seq, f"entry {seq} was changed ({exc.one_line()})")
            if leaf.hex() != _stored_hex(row.leaf_hash):
                return failure(seq, f"entry {seq} was changed (its content no longer matches its leaf hash)")
        chain = chain_hash(chain, leaf)
        if chain.hex() != _stored_hex(row.chain_hash):
            after = "the start of the log" if seq == 1 else f"entry {seq - 1}"
            return failure(seq, f"entry {seq} is out of order (its chain hash does not follow from {after})")
        acc.append(leaf)
        prev_seq = seq
        if (bad := checkpoint_problem()) is not None:
            return bad

    if cp_index < len(pending):
        cp = pending[cp_index]
        return failure(
            acc.size + 1,
            f"entry {acc.size + 1} is missing (the log ends at entry {acc.size}, but the checkpoint "
            f"signed at {_when(cp.at)} covers {cp.size} entries)",
        )
    return VerifyResult(True, acc.size, None, None, acc.root().hex(), chain.hex(), cp_index)


def verify_against_checkpoint(
    rows: Iterable[StoredRow], checkpoint: Checkpoint, public_key: Ed25519PublicKey
) -> VerifyResult:
    """Check the log and that its first `checkpoint.size` entries have the signed root."""
    return verify_log(rows, checkpoints=[checkpoint], public_key=public_key)


def _leaf_bytes(value: str) -> bytes | None:
    try:
        leaf = bytes.fromhex(value)
    except ValueError:
        return None
    return leaf if len(leaf) == 32 else None


def _stored_hex(value: object) -> str:
    return value.lower() if isinstance(value, str) else ""


def _when(at: datetime) -> str:
    if at.tzinfo is None:
        return at.isoformat(timespec="seconds")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
