"""Fixtures for the audit log tests: a small sealed log and a signing key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from xinyong.audit import AuditEntry, AuditRow, generate_key, seal
from xinyong.clock import CST

START = datetime(2024, 3, 1, 9, 0, tzinfo=CST)


def make_entry(seq: int) -> AuditEntry:
    """The seq-th entry of a plausible log: screening checks with a few record changes in between."""
    if seq % 5 == 0:
        return AuditEntry(
            seq=seq,
            at=START + timedelta(minutes=seq),
            actor="agency:samr.110000",
            role="agency",
            action="record.submit",
            object=f"record:samr.110000:R{seq:04d}",
            purpose=None,
            result="accepted",
            detail={"batch": seq // 5, "rows": 12},
        )
    return AuditEntry(
        seq=seq,
        at=START + timedelta(minutes=seq),
        actor="platform:air-china",
        role="platform",
        action="check",
        object=f"subject:S{seq:06d}",
        purpose="ticket sale 购票",
        result="allow" if seq % 3 else "deny",
        detail={"action": "no_air_travel", "matched": ["court.defaulter"] if seq % 3 == 0 else []},
    )


def make_log(size: int) -> list[AuditRow]:
    return list(seal(make_entry(seq) for seq in range(1, size + 1)))


MakeEntry = Callable[[int], AuditEntry]
MakeLog = Callable[[int], list[AuditRow]]


@pytest.fixture(name="make_entry")
def make_entry_fixture() -> MakeEntry:
    return make_entry


@pytest.fixture(name="make_log")
def make_log_fixture() -> MakeLog:
    return make_log


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return generate_key()


@pytest.fixture
def log40() -> list[AuditRow]:
    return make_log(40)
