"""Signed checkpoints: signing, tamper detection, keys, and proving a later head extends an earlier one."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from xinyong.audit import (
    AuditRow,
    Checkpoint,
    checkpoint_body,
    generate_key,
    private_key_from_pem,
    private_key_to_pem,
    prove_extends,
    public_key_from_pem,
    public_key_id,
    public_key_to_pem,
    root,
    sign_checkpoint,
    verify_checkpoint,
    verify_extends,
)
from xinyong.clock import CST
from xinyong.errors import InvalidInput

AT = datetime(2024, 3, 1, 18, 0, tzinfo=CST)
ROOT = bytes(range(32))
MakeLog = Callable[[int], list[AuditRow]]


def leaves(rows: list[AuditRow]) -> list[bytes]:
    return [bytes.fromhex(row.leaf_hash) for row in rows]


def test_signed_text_is_a_signed_note_style_body() -> None:
    body = checkpoint_body(40, ROOT, AT).decode()
    assert body.split("\n") == [
        "xinyong audit log",
        "40",
        base64.b64encode(ROOT).decode(),
        "2024-03-01T10:00:00.000000+00:00",
        "",
    ]


def test_sign_and_verify(signing_key: Ed25519PrivateKey) -> None:
    cp = sign_checkpoint(40, ROOT, AT, signing_key)
    assert cp.size == 40
    assert cp.root_hex == ROOT.hex()
    assert cp.key_id == public_key_id(signing_key.public_key())
    assert len(cp.key_id) == 16
    assert len(bytes.fromhex(cp.signature_hex)) == 64
    assert verify_checkpoint(cp, signing_key.public_key())
    signing_key.public_key().verify(bytes.fromhex(cp.signature_hex), cp.signed_text().encode())


def test_any_change_to_a_checkpoint_breaks_it(signing_key: Ed25519PrivateKey) -> None:
    cp = sign_checkpoint(40, ROOT, AT, signing_key)
    flipped_sig = bytes([bytes.fromhex(cp.signature_hex)[0] ^ 1]) + bytes.fromhex(cp.signature_hex)[1:]
    altered = {
        "size": replace(cp, size=41),
        "root": replace(cp, root_hex=bytes(32).hex()),
        "time": replace(cp, at=AT + timedelta(seconds=1)),
        "signature": replace(cp, signature_hex=flipped_sig.hex()),
        "signature not hex": replace(cp, signature_hex="zz" + cp.signature_hex[2:]),
        "root too short": replace(cp, root_hex=cp.root_hex[:-2]),
        "naive time": replace(cp, at=AT.replace(tzinfo=None)),
    }
    for name, bad in altered.items():
        assert not verify_checkpoint(bad, signing_key.public_key()), name
    # The same instant written in another zone is the same checkpoint.
    assert verify_checkpoint(replace(cp, at=AT.astimezone(CST)), signing_key.public_key())


def test_another_key_does_not_verify(signing_key: Ed25519PrivateKey) -> None:
    cp = sign_checkpoint(40, ROOT, AT, signing_key)
    other = generate_key()
    assert not verify_checkpoint(cp, other.public_key())
    # Even with the key id swapped for the other key's, the signature gives it away.
    assert not verify_checkpoint(replace(cp, key_id=public_key_id(other.public_key())), other.public_key())


def test_bad_checkpoint_input_raises_a_typed_error(signing_key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidInput) as caught:
        sign_checkpoint(-1, ROOT, AT, signing_key)
    assert caught.value.field == "size"
    with pytest.raises(InvalidInput) as caught:
        sign_checkpoint(1, ROOT[:31], AT, signing_key)
    assert caught.value.field == "root"
    with pytest.raises(InvalidInput) as caught:
        sign_checkpoint(1, ROOT, AT.replace(tzinfo=None), signing_key)
    assert caught.value.field == "at"


def test_checkpoint_round_trips_through_json(signing_key: Ed25519PrivateKey) -> None:
    cp = sign_checkpoint(40, ROOT, AT, signing_key)
    data = cp.to_dict()
    assert data["origin"] == "xinyong audit log"
    assert data["signed_text"] == cp.signed_text()
    back = Checkpoint.from_dict(data)
    assert back.size == cp.size
    assert back.root_hex == cp.root_hex
    assert back.at == cp.at
    assert verify_checkpoint(back, signing_key.public_key())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"origin": "someone else's log"}, "checkpoint.origin"),
        ({"size": "40"}, "checkpoint.size"),
        ({"size": True}, "checkpoint.size"),
        ({"root_hex": "abc"}, "checkpoint.root_hex"),
        ({"root_hex": "00" * 31}, "checkpoint.root_hex"),
        ({"signature_hex": None}, "checkpoint.signature_hex"),
        ({"at": "yesterday"}, "checkpoint.at"),
        ({"at": "2024-03-01T18:00:00"}, "checkpoint.at"),
    ],
)
def test_malformed_checkpoint_json_names_the_field(
    signing_key: Ed25519PrivateKey, change: dict[str, object], field: str
) -> None:
    data = {**sign_checkpoint(40, ROOT, AT, signing_key).to_dict(), **change}
    with pytest.raises(InvalidInput) as caught:
        Checkpoint.from_dict(data)
    assert caught.value.field == field


def test_keys_round_trip_through_pem(signing_key: Ed25519PrivateKey) -> None:
    cp = sign_checkpoint(3, ROOT, AT, signing_key)
    pem = private_key_to_pem(signing_key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = private_key_from_pem(pem.decode())
    assert sign_checkpoint(3, ROOT, AT, again) == cp  # Ed25519 signatures are deterministic
    public = public_key_from_pem(public_key_to_pem(signing_key.public_key()))
    assert public_key_id(public) == cp.key_id
    assert verify_checkpoint(cp, public)


def test_bad_or_foreign_keys_raise_a_typed_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        private_key_from_pem(b"not a key")
    assert caught.value.field == "signing_key"
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidInput, match="not an Ed25519 key"):
        private_key_from_pem(ec_pem)
    ec_public = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidInput, match="not an Ed25519 key"):
        public_key_from_pem(ec_public)
    with pytest.raises(InvalidInput) as caught:
        public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    assert caught.value.field == "public_key"


def test_a_checkpoint_signed_earlier_is_proved_extended_by_a_later_one(
    signing_key: Ed25519PrivateKey, make_log: MakeLog
) -> None:
    log = leaves(make_log(40))
    earlier = sign_checkpoint(13, root(log[:13]), AT, signing_key)
    later = sign_checkpoint(40, root(log), AT + timedelta(hours=1), signing_key)
    proof = prove_extends(earlier, later, log)
    assert proof
    assert verify_extends(earlier, later, proof, signing_key.public_key())
    # The proof does not run backwards, nor vouch for a different pair of heads.
    assert not verify_extends(later, earlier, proof, signing_key.public_key())
    middle = sign_checkpoint(27, root(log[:27]), AT, signing_key)
    assert not verify_extends(middle, later, proof, signing_key.public_key())
    # Every earlier size is provably a prefix of the later head.
    for size in range(41):
        old = sign_checkpoint(size, root(log[:size]), AT, signing_key)
        assert verify_extends(old, later, prove_extends(old, later, log), signing_key.public_key()), size


def test_a_rewritten_history_cannot_be_proved_to_extend_the_earlier_checkpoint(
    signing_key: Ed25519PrivateKey, make_log: MakeLog
) -> None:
    honest = leaves(make_log(40))
    earlier = sign_checkpoint(13, root(honest[:13]), AT, signing_key)
    rewritten = list(honest)
    rewritten[4] = bytes(32)  # entry 5 replaced, everything re-hashed and re-signed afterwards
    later = sign_checkpoint(40, root(rewritten), AT + timedelta(hours=1), signing_key)
    assert not verify_extends(earlier, later, prove_extends(earlier, later, rewritten), signing_key.public_key())
    truncated = sign_checkpoint(12, root(honest[:12]), AT + timedelta(hours=1), signing_key)
    with pytest.raises(InvalidInput):
        prove_extends(earlier, truncated, honest)


def test_verify_extends_needs_both_signatures(signing_key: Ed25519PrivateKey, make_log: MakeLog) -> None:
    log = leaves(make_log(20))
    earlier = sign_checkpoint(8, root(log[:8]), AT, signing_key)
    later = sign_checkpoint(20, root(log), AT, signing_key)
    proof = prove_extends(earlier, later, log)
    forged = replace(later, signature_hex=earlier.signature_hex)
    assert not verify_extends(earlier, forged, proof, signing_key.public_key())
    assert not verify_extends(earlier, later, proof, generate_key().public_key())
    with pytest.raises(InvalidInput) as caught:
        prove_extends(earlier, later, log[:19])
    assert caught.value.field == "leaves"
