"""The tamper-evident audit log: hashed entries, an RFC 9162 Merkle tree, signed checkpoints, verification.

Pure functions only; the store writes the rows and the service signs and publishes checkpoints.
"""

from __future__ import annotations

from xinyong.audit.checkpoints import (
    ORIGIN,
    Checkpoint,
    checkpoint_body,
    generate_key,
    private_key_from_pem,
    private_key_to_pem,
    prove_extends,
    public_key_from_pem,
    public_key_id,
    public_key_to_pem,
    sign_checkpoint,
    verify_checkpoint,
    verify_extends,
)
from xinyong.audit.entries import (
    GENESIS,
    ArchivedLeaf,
    AuditEntry,
    AuditRow,
    canonical_bytes,
    chain_hash,
    leaf_hash,
    seal,
)
from xinyong.audit.merkle import (
    EMPTY_ROOT,
    MerkleAccumulator,
    consistency_proof,
    inclusion_proof,
    root,
    verify_consistency,
    verify_inclusion,
)
from xinyong.audit.verify import StoredRow, VerifyResult, entry_of, verify_against_checkpoint, verify_log

__all__ = [
    "EMPTY_ROOT",
    "GENESIS",
    "ORIGIN",
    "ArchivedLeaf",
    "AuditEntry",
    "AuditRow",
    "Checkpoint",
    "MerkleAccumulator",
    "StoredRow",
    "VerifyResult",
    "canonical_bytes",
    "chain_hash",
    "checkpoint_body",
    "consistency_proof",
    "entry_of",
    "generate_key",
    "inclusion_proof",
    "leaf_hash",
    "private_key_from_pem",
    "private_key_to_pem",
    "prove_extends",
    "public_key_from_pem",
    "public_key_id",
    "public_key_to_pem",
    "root",
    "seal",
    "sign_checkpoint",
    "verify_against_checkpoint",
    "verify_checkpoint",
    "verify_consistency",
    "verify_extends",
    "verify_inclusion",
    "verify_log",
]
