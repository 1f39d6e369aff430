"""Signed heads of the audit log: size and Merkle root at an instant, signed with the registry's Ed25519 key.

The signed text follows the body of a C2SP signed-note checkpoint: an origin line, the tree size, the
root in base64, then the time as an extension line. Anyone holding an earlier checkpoint can ask for a
consistency proof and check that the log only grew since.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from xinyong.audit.entries import instant_text
from xinyong.audit.merkle import HASH_SIZE, consistency_proof, verify_consistency
from xinyong.errors import InvalidInput

ORIGIN = "xinyong audit log"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that the log had `size` entries with Merkle root `root_hex` at `at`."""

    size: int
    root_hex: str
    at: datetime
    key_id: str
    signature_hex: str

    def signed_text(self) -> str:
        """The exact text the signature covers."""
        return checkpoint_body(self.size, bytes.fromhex(self.root_hex), self.at).decode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for publishing and for keeping in the store's `meta` table."""
        return {
            "origin": ORIGIN,
            "size": self.size,
            "root_hex": self.root_hex,
            "at": instant_text(self.at),
            "key_id": self.key_id,
            "signature_hex": self.signature_hex,
            "signed_text": self.signed_text(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        """A checkpoint read back from `to_dict` output; the signature is not checked here."""
        origin = data.get("origin", ORIGIN)
        if origin != ORIGIN:
            raise InvalidInput(f"{origin!r} is not {ORIGIN!r}", field="checkpoint.origin")
        size = data.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidInput(f"{size!r} is not a tree size", field="checkpoint.size")
        texts = {}
        for name in ("root_hex", "at", "key_id", "signature_hex"):
            value = data.get(name)
            if not isinstance(value, str):
                raise InvalidInput(f"{value!r} is not text", field=f"checkpoint.{name}")
            texts[name] = value
        if len(_hex_bytes(texts["root_hex"], "checkpoint.root_hex")) != HASH_SIZE:
            raise InvalidInput("is not a 32-byte hash", field="checkpoint.root_hex")
        _hex_bytes(texts["signature_hex"], "checkpoint.signature_hex")
        try:
            at = datetime.fromisoformat(texts["at"])
        except ValueError:
            raise InvalidInput(f"{texts['at']!r} is not an ISO time", field="checkpoint.at") from None
        instant_text(at, "checkpoint.at")
        return cls(size, texts["root_hex"].lower(), at, texts["key_id"], texts["signature_hex"].lower())


def checkpoint_body(size: int, root: bytes, at: datetime) -> bytes:
    """The canonical signed text: origin, size, base64 root and the UTC time, one per line."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidInput(f"{size!r} is not a tree size", field="size")
    if len(root) != HASH_SIZE:
        raise InvalidInput(f"must be {HASH_SIZE} bytes, got {len(root)}", field="root")
    root_b64 = base64.b64encode(root).decode("ascii")
    return f"{ORIGIN}\n{size}\n{root_b64}\n{instant_text(at)}\n".encode()


def sign_checkpoint(size: int, root: bytes, at: datetime, private_key: Ed25519PrivateKey) -> Checkpoint:
    """Sign the head of a log of `size` entries whose Merkle root is `root`."""
    signature = private_key.sign(checkpoint_body(size, root, at))
    return Checkpoint(size, root.hex(), at, public_key_id(private_key.public_key()), signature.hex())


def verify_checkpoint(cp: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    """Whether the checkpoint was signed by this key and has not been altered since."""
    if cp.key_id != public_key_id(public_key):
        return False
    try:
        root = bytes.fromhex(cp.root_hex)
        signature = bytes.fromhex(cp.signature_hex)
        body = checkpoint_body(cp.size, root, cp.at)
        public_key.verify(signature, body)
    except (ValueError, TypeError, InvalidInput, InvalidSignature):
        return False
    return True


def prove_extends(old: Checkpoint, new: Checkpoint, leaves: Sequence[bytes]) -> list[bytes]:
    """The consistency proof that `new` extends `old`, from the log's leaf hashes (at least `new.size`)."""
    if old.size > new.size:
        raise InvalidInput(f"the old checkpoint has {old.size} entries, the new only {new.size}", field="old")
    if len(leaves) < new.size:
        raise InvalidInput(f"{len(leaves)} leaves given, the new checkpoint covers {new.size}", field="leaves")
    return consistency_proof(leaves[: new.size], old.size)


def verify_extends(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes], public_key: Ed25519PublicKey) -> bool:
    """Whether both checkpoints are genuine and `proof` shows the log at `new` extends the log at `old`."""
    if not (verify_checkpoint(old, public_key) and verify_checkpoint(new, public_key)):
        return False
    return verify_consistency(old.size, new.size, bytes.fromhex(old.root_hex), bytes.fromhex(new.root_hex), proof)


def generate_key() -> Ed25519PrivateKey:
    """A fresh signing key for checkpoints."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 PEM; keep the file readable by the service only."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_from_pem(data: bytes | str) -> Ed25519PrivateKey:
    """The signing key from unencrypted PKCS#8 PEM."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidInput("is not an unencrypted PEM private key", field="signing_key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"is a {type(key).__name__}, not an Ed25519 key", field="signing_key")
    return key


def public_key_to_pem(key: Ed25519PublicKey) -> bytes:
    """The verification key as SubjectPublicKeyInfo PEM, for auditors and agencies acting as witnesses."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_from_pem(data: bytes | str) -> Ed25519PublicKey:
    """The verification key from SubjectPublicKeyInfo PEM."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidInput("is not a PEM public key", field="public_key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"is a {type(key).__name__}, not an Ed25519 key", field="public_key")
    return key


def public_key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for the key: hex of the first 8 bytes of SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def _hex_bytes(text: str, field_name: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not hex", field=field_name) from None
