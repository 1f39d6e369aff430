"""RFC 9162 Merkle Tree Hash, inclusion and consistency proofs, checked against the RFC's recursive
definitions, the Certificate Transparency test vectors and tampered proofs."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.audit import (
    EMPTY_ROOT,
    MerkleAccumulator,
    consistency_proof,
    inclusion_proof,
    root,
    verify_consistency,
    verify_inclusion,
)
from xinyong.errors import InvalidInput


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash_leaf(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def leaves_of(n: int) -> list[bytes]:
    return [hash_leaf(i.to_bytes(4, "big")) for i in range(n)]


# --- RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 transcribed literally, as the reference to compare with ---


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    if not d:
        return sha256(b"")
    if len(d) == 1:
        return d[0]
    k = split(len(d))
    return sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = split(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


# --- Certificate Transparency reference vectors (RFC 6962 test data, as in transparency-dev/merkle) ---

CT_DATA = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]] + [
    bytes.fromhex("606162636465666768696a6b6c6d6e6f")
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (index, size, proof)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CT_LEAVES = [hash_leaf(d) for d in CT_DATA]
InclusionArgs = tuple[bytes, int, int, list[bytes], bytes]
ConsistencyArgs = tuple[int, int, bytes, bytes, list[bytes]]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT
    assert MerkleAccumulator().root() == EMPTY_ROOT


def test_roots_match_the_certificate_transparency_vectors() -> None:
    assert [root(CT_LEAVES[:n]).hex() for n in range(9)] == CT_ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_inclusion_proofs_match_the_ct_vectors(index: int, size: int, proof: list[str]) -> None:
    assert [p.hex() for p in inclusion_proof(CT_LEAVES[:size], index)] == proof
    assert verify_inclusion(CT_LEAVES[index], index, size, [bytes.fromhex(p) for p in proof], root(CT_LEAVES[:size]))


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_ct_vectors(old: int, new: int, proof: list[str]) -> None:
    assert [p.hex() for p in consistency_proof(CT_LEAVES[:new], old)] == proof
    old_root, new_root = root(CT_LEAVES[:old]), root(CT_LEAVES[:new])
    assert verify_consistency(old, new, old_root, new_root, [bytes.fromhex(p) for p in proof])


def test_root_matches_the_recursive_definition_for_every_size_to_70() -> None:
    leaves = leaves_of(70)
    for n in range(71):
        assert root(leaves[:n]) == ref_mth(leaves[:n]), n


def test_inclusion_proof_for_every_index_of_every_tree_up_to_40() -> None:
    leaves = leaves_of(40)
    for size in range(1, 41):
        tree, tree_root = leaves[:size], root(leaves[:size])
        for index in range(size):
            proof = inclusion_proof(tree, index)
            assert proof == ref_path(index, tree), (index, size)
            assert verify_inclusion(tree[index], index, size, proof, tree_root), (index, size)
            # The same proof must not vouch for a neighbouring leaf.
            if size > 1:
                other = (index + 1) % size
                assert not verify_inclusion(tree[other], index, size, proof, tree_root)


def test_consistency_proof_for_every_pair_of_sizes_up_to_40() -> None:
    leaves = leaves_of(40)
    roots = [root(leaves[:n]) for n in range(41)]
    for new in range(1, 41):
        for old in range(1, new + 1):
            proof = consistency_proof(leaves[:new], old)
            assert proof == ref_subproof(old, leaves[:new], True), (old, new)
            assert verify_consistency(old, new, roots[old], roots[new], proof), (old, new)


def inclusion_probes(
    index: int, size: int, proof: list[bytes], root_hash: bytes, leaf: bytes
) -> dict[str, InclusionArgs]:
    """The corruptions transparency-dev/merkle tries against every good inclusion proof."""
    probes: dict[str, InclusionArgs] = {
        "index - 1": (leaf, index - 1, size, proof, root_hash),
        "index + 1": (leaf, index + 1, size, proof, root_hash),
        "index ^ 2": (leaf, index ^ 2, size, proof, root_hash),
        "size * 2": (leaf, index, size * 2, proof, root_hash),
        "size // 2": (leaf, index, size // 2, proof, root_hash),
        "wrong leaf": (SOME_HASH, index, size, proof, root_hash),
        "short leaf": (b"WrongLeaf", index, size, proof, root_hash),
        "empty root": (leaf, index, size, proof, EMPTY_ROOT),
        "random root": (leaf, index, size, proof, SOME_HASH),
        "trailing garbage": (leaf, index, size, [*proof, b""], root_hash),
        "trailing root": (leaf, index, size, [*proof, root_hash], root_hash),
        "preceding garbage": (leaf, index, size, [b"", *proof], root_hash),
        "preceding root": (leaf, index, size, [root_hash, *proof], root_hash),
    }
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        probes[f"flipped proof[{i}]"] = (leaf, index, size, flipped, root_hash)
    if proof:
        probes["removed component"] = (leaf, index, size, proof[:-1], root_hash)
    if len(proof) > 1:
        probes["inserted component"] = (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root_hash)
    return probes


def test_tampered_inclusion_proofs_fail() -> None:
    leaves = leaves_of(40)
    tried = 0
    for size in (*range(1, 18), 31, 32, 33, 40):
        tree_root = root(leaves[:size])
        for index in range(size):
            proof = inclusion_proof(leaves[:size], index)
            for name, args in inclusion_probes(index, size, proof, tree_root, leaves[index]).items():
                assert not verify_inclusion(*args), (name, index, size)
                tried += 1
    assert tried > 2000


def consistency_probes(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> dict[str, ConsistencyArgs]:
    """The corruptions transparency-dev/merkle tries against every non-trivial consistency proof."""
    probes: dict[str, ConsistencyArgs] = {
        "old - 1": (old - 1, new, old_root, new_root, proof),
        "old + 1": (old + 1, new, old_root, new_root, proof),
        "old ^ 2": (old ^ 2, new, old_root, new_root, proof),
        "new * 2": (old, new * 2, old_root, new_root, proof),
        "new // 2": (old, new // 2, old_root, new_root, proof),
        "wrong old root": (old, new, SOME_HASH, new_root, proof),
        "wrong new root": (old, new, old_root, SOME_HASH, proof),
        "swapped roots": (old, new, new_root, old_root, proof),
        "empty proof": (old, new, old_root, new_root, []),
        "trailing garbage": (old, new, old_root, new_root, [*proof, b""]),
        "trailing old root": (old, new, old_root, new_root, [*proof, old_root]),
        "trailing new root": (old, new, old_root, new_root, [*proof, new_root]),
        "preceding garbage": (old, new, old_root, new_root, [b"", *proof]),
        "preceding old root": (old, new, old_root, new_root, [old_root, *proof]),
        "preceding new root": (old, new, old_root, new_root, [new_root, *proof]),
        "preceding proof[0]": (old, new, old_root, new_root, [proof[0], *proof]),
        "truncated": (old, new, old_root, new_root, proof[:-1]),
    }
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        probes[f"flipped proof[{i}]"] = (old, new, old_root, new_root, flipped)
    return probes


def test_tampered_consistency_proofs_fail() -> None:
    leaves = leaves_of(40)
    roots = [root(leaves[:n]) for n in range(41)]
    tried = 0
    for new in range(2, 41):
        for old in range(1, new):
            proof = consistency_proof(leaves[:new], old)
            for name, args in consistency_probes(old, new, roots[old], roots[new], proof).items():
                assert not verify_consistency(*args), (name, old, new)
                tried += 1
    assert tried > 15000


def test_a_forked_history_has_no_consistency_proof() -> None:
    honest = leaves_of(20)
    forked = list(honest)
    forked[6] = SOME_HASH
    for old in range(7, 21):
        for new in range(old, 21):
            proof = consistency_proof(forked[:new], old)
            assert not verify_consistency(old, new, root(honest[:old]), root(forked[:new]), proof)


def test_trivial_consistency_cases() -> None:
    r3 = root(leaves_of(3))
    assert verify_consistency(3, 3, r3, r3, [])
    assert not verify_consistency(3, 3, r3, SOME_HASH, [])
    assert not verify_consistency(3, 3, r3, r3, [r3])
    assert verify_consistency(0, 3, EMPTY_ROOT, r3, [])
    assert not verify_consistency(0, 3, SOME_HASH, r3, [])
    assert not verify_consistency(0, 3, EMPTY_ROOT, r3, [EMPTY_ROOT])
    assert not verify_consistency(3, 2, r3, r3, [])
    assert consistency_proof(leaves_of(3), 0) == []
    assert consistency_proof(leaves_of(3), 3) == []


def test_out_of_range_proof_requests_raise_a_typed_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        inclusion_proof(leaves_of(5), 5)
    assert caught.value.field == "index"
    with pytest.raises(InvalidInput) as caught:
        inclusion_proof([], 0)
    assert caught.value.field == "index"
    with pytest.raises(InvalidInput) as caught:
        consistency_proof(leaves_of(5), 6)
    assert caught.value.field == "old_size"
    assert not verify_inclusion(SOME_HASH, 0, 0, [], EMPTY_ROOT)


def test_accumulator_matches_root_at_every_size_to_300() -> None:
    leaves = leaves_of(300)
    acc = MerkleAccumulator()
    for n, leaf in enumerate(leaves, start=1):
        acc.append(leaf)
        assert acc.size == n
        assert len(acc.frontier) == n.bit_count()
        # The slow recursive reference is used while it is cheap; root() beyond that (it matches it above).
        expected = ref_mth(leaves[:n]) if n <= 64 else root(leaves[:n])
        assert acc.root() == expected, n


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=0, max_value=5000), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_accumulator_root_equals_root_for_random_sizes(size: int, seed: int) -> None:
    rng = random.Random(seed)
    leaves = [rng.randbytes(32) for _ in range(size)]
    acc = MerkleAccumulator()
    acc.extend(leaves)
    assert acc.root() == root(leaves)
    # Resuming from the saved frontier and appending more gives the same head as never stopping.
    cut = rng.randint(0, size)
    resumed = MerkleAccumulator()
    resumed.extend(leaves[:cut])
    resumed = MerkleAccumulator.from_frontier(resumed.size, resumed.frontier)
    resumed.extend(leaves[cut:])
    assert resumed.root() == acc.root()


def test_accumulator_refuses_bad_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        MerkleAccumulator().append(b"short")
    assert caught.value.field == "leaf"
    with pytest.raises(InvalidInput) as caught:
        MerkleAccumulator.from_frontier(5, [SOME_HASH])
    assert caught.value.field == "frontier"
    with pytest.raises(InvalidInput) as caught:
        MerkleAccumulator.from_frontier(-1, [])
    assert caught.value.field == "size"


@pytest.mark.slow
def test_a_million_leaves() -> None:
    leaves = [hash_leaf(i.to_bytes(4, "big")) for i in range(1_000_000)]
    head = root(leaves)
    acc = MerkleAccumulator()
    acc.extend(leaves)
    assert acc.root() == head
    index = 765_432
    assert verify_inclusion(leaves[index], index, len(leaves), inclusion_proof(leaves, index), head)
    old = 654_321
    proof = consistency_proof(leaves, old)
    assert len(proof) <= 2 * 20
    assert verify_consistency(old, len(leaves), root(leaves[:old]), head, proof)
