"""The Merkle Tree Hash of RFC 9162 (Certificate Transparency 2.0) over audit leaf hashes, with its proofs.

Inclusion proofs show that one entry is in a signed tree; consistency proofs show that a later tree
extends an earlier one, so history cannot be rewritten, truncated or forked without it showing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from xinyong.errors import InvalidInput

HASH_SIZE = 32

#: The root of the empty tree, SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node, `SHA-256(0x01 || left || right)`."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of the leaf hashes, computed level by level.

    Pairing neighbours and carrying an odd last node up unchanged gives the same tree as RFC 9162's
    split at the largest power of two below the size.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    sha256 = hashlib.sha256
    while len(level) > 1:
        paired = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path PATH(index, D[n]) of RFC 9162 §2.1.3.1, leaf side first."""
    if not 0 <= index < len(leaves):
        raise InvalidInput(f"{index} is outside a tree of {len(leaves)} leaves", field="index")
    path: list[bytes] = []
    lo, hi, m = 0, len(leaves), index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            path.append(root(leaves[lo : lo + k]))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """Whether `proof` shows leaf `index` of a tree of `size` leaves is `leaf` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size or not _all_hashes([leaf, root_hash, *proof]):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1 that the first `old_size` leaves are a prefix."""
    n = len(leaves)
    if not 0 <= old_size <= n:
        raise InvalidInput(f"{old_size} is outside a tree of {n} leaves", field="old_size")
    if old_size in (0, n):
        return []
    # SUBPROOF(m, D[lo:hi], b) unrolled: each step keeps the half that holds the old tree's edge.
    proof: list[bytes] = []
    lo, hi, m, complete = 0, n, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            proof.append(root(leaves[lo : lo + k]))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(root(leaves[lo:hi]))
    proof.reverse()
    return proof


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows tree (new_size, new_root) extends (old_size, old_root), RFC 9162 §2.1.4.2."""
    if not 0 <= old_size <= new_size or not _all_hashes([old_root, new_root, *proof]):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        # Every tree extends the empty one; the old head must still be the empty tree's.
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


class MerkleAccumulator:
    """The running root of an append-only log, kept as the roots of its perfect subtrees (O(log n) memory).

    The service appends each new leaf and reads the head without re-hashing the log; the frontier can be
    saved and restored with `from_frontier` so a restart does not re-read every leaf either.
    """

    __slots__ = ("_frontier", "_size")

    def __init__(self) -> None:
        self._size = 0
        # Roots of the perfect subtrees that make up the tree, largest (leftmost) first.
        self._frontier: list[bytes] = []

    @classmethod
    def from_frontier(cls, size: int, frontier: Sequence[bytes]) -> MerkleAccumulator:
        """An accumulator resumed from a saved size and frontier (one hash per set bit of the size)."""
        if size < 0:
            raise InvalidInput(f"{size} is negative", field="size")
        if len(frontier) != size.bit_count():
            raise InvalidInput(
                f"a tree of {size} leaves has {size.bit_count()} subtree roots, got {len(frontier)}",
                field="frontier",
            )
        if not _all_hashes(frontier):
            raise InvalidInput("every subtree root must be 32 bytes", field="frontier")
        acc = cls()
        acc._size = size
        acc._frontier = list(frontier)
        return acc

    @property
    def size(self) -> int:
        """How many leaves have been appended."""
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """The perfect subtree roots, largest first; enough to resume."""
        return tuple(self._frontier)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash, merging the equal-sized subtrees it completes."""
        if len(leaf) != HASH_SIZE:
            raise InvalidInput(f"must be {HASH_SIZE} bytes, got {len(leaf)}", field="leaf")
        node, n = leaf, self._size
        while n & 1:
            node = node_hash(self._frontier.pop(), node)
            n >>= 1
        self._frontier.append(node)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """The Merkle Tree Hash of everything appended so far."""
        if not self._frontier:
            return EMPTY_ROOT
        acc = self._frontier[-1]
        for left in reversed(self._frontier[:-1]):
            acc = node_hash(left, acc)
        return acc


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _all_hashes(values: Iterable[bytes]) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)
