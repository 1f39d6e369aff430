"""Principals and API keys: made at random and shown once, stored only as a hash, checked against the
catalog, revoked for good, audited; reads of non-public data logged with their purpose."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from xinyong import access
from xinyong.access import KEY_PATTERN, Principal, Scopes
from xinyong.catalog import default_catalog
from xinyong.cli.app import app
from xinyong.clock import FixedClock
from xinyong.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from xinyong.store import Store, audit_rows
from xinyong.store.schema_access import api_keys, principals

CATALOG = default_catalog()


def _spec(role: str = "platform", name: str = "airline", **scopes: object) -> Principal:
    if role == "platform":
        scopes.setdefault("actions", ["air_ticket", "rail_g_train"])
    return access.principal_spec(CATALOG, name=name, role=role, **scopes)  # type: ignore[arg-type]


def _every_stored_text(store: Store) -> str:
    with store.engine.connect() as conn:
        rows = [
            *conn.execute(sa.select(principals)).all(),
            *conn.execute(sa.select(api_keys)).all(),
            *conn.execute(sa.text("SELECT * FROM audit_log")).all(),
            *conn.execute(sa.text("SELECT * FROM meta")).all(),
        ]
    return json.dumps([[str(v) for v in row] for row in rows], ensure_ascii=False)


def test_a_key_is_random_shown_once_and_stored_only_as_its_hash(store: Store, clock: FixedClock) -> None:
    issued = access.create_key(store, clock, _spec())
    other = access.create_key(store, clock, _spec())
    assert KEY_PATTERN.fullmatch(issued.key)
    assert issued.key != other.key
    assert issued.prefix != other.prefix
    stored = _every_stored_text(store)
    secret = issued.key[len("xy_") + 8 + 1 :]  # the random part after the public prefix
    assert len(secret) == 43
    assert issued.key not in stored
    assert secret not in stored
    with store.engine.connect() as conn:
        digest = conn.execute(sa.select(api_keys.c.sha256).where(api_keys.c.prefix == issued.prefix)).scalar_one()
    assert digest == hashlib.sha256(issued.key.encode()).hexdigest()


def test_the_key_authenticates_its_principal(store: Store, clock: FixedClock) -> None:
    issued = access.create_key(store, clock, _spec())
    principal = access.authenticate(store, clock, issued.key)
    assert principal == Principal(
        name="airline",
        role="platform",
        scopes=Scopes(actions=frozenset({"air_ticket", "rail_g_train"})),
        key_prefix=issued.prefix,
    )
    assert principal.may_check("air_ticket")
    assert not principal.may_check("bank_loan")
    (info,) = access.list_keys(store)
    assert info.last_used_at == clock.now()


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed"),
        ("xy_0000000_short", "malformed"),
        ("Bearer xy_00000000_" + "A" * 43, "malformed"),
        ("xy_00000000_" + "A" * 43, "not known"),
    ],
)
def test_bad_tokens_are_unauthenticated(store: Store, clock: FixedClock, token: str, reason: str) -> None:
    access.create_key(store, clock, _spec())
    with pytest.raises(Unauthenticated, match=reason):
        access.authenticate(store, clock, token)


def test_a_revoked_key_no_longer_authenticates(store: Store, clock: FixedClock) -> None:
    issued = access.create_key(store, clock, _spec())
    kept = access.create_key(store, clock, _spec())
    info = access.revoke_key(store, clock, issued.prefix)
    assert info.revoked_at == clock.now()
    with pytest.raises(Unauthenticated, match="revoked"):
        access.authenticate(store, clock, issued.key)
    # Rotation: the principal's other key still works.
    assert access.authenticate(store, clock, kept.key).name == "airline"
    with pytest.raises(Conflict, match="revoked already"):
        access.revoke_key(store, clock, issued.prefix)
    with pytest.raises(NotFound):
        access.revoke_key(store, clock, "ffffffff")


def test_a_name_keeps_its_role_and_scopes(store: Store, clock: FixedClock) -> None:
    access.create_key(store, clock, _spec())
    with pytest.raises(Conflict, match="another role"):
        access.create_key(store, clock, _spec(actions=["air_ticket", "rail_g_train", "bank_loan"]))
    with pytest.raises(Conflict, match="another role"):
        access.create_key(store, clock, _spec(role="operator"))


def test_creating_and_revoking_are_audited(store: Store, clock: FixedClock) -> None:
    issued = access.create_key(store, clock, _spec(), actor="ops-1")
    access.revoke_key(store, clock, issued.prefix, actor="ops-2")
    with store.connect() as conn:
        rows = audit_rows.read_range(conn)
    assert [(r.actor, r.action, r.object) for r in rows] == [
        ("ops-1", "key.create", f"key:{issued.prefix}"),
        ("ops-2", "key.revoke", f"key:{issued.prefix}"),
    ]
    assert rows[0].detail["scopes"]["actions"] == ["air_ticket", "rail_g_train"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"name": " "}, "name"),
        ({"name": "x" * 129}, "name"),
        ({"role": "agency"}, "agency"),
        ({"role": "agency", "agency": "nowhere.000000"}, "agency"),
        ({"role": "agency", "agency": "court.110105"}, "role"),
        ({"role": "court", "agency": "samr.110000"}, "role"),
        ({"role": "platform", "agency": "samr.110000", "actions": ["air_ticket"]}, "agency"),
        ({"role": "platform"}, "actions"),
        ({"role": "platform", "actions": ["fly_to_the_moon"]}, "actions"),
        ({"role": "regulator", "actions": ["air_ticket"], "districts": ["110000"]}, "actions"),
        ({"role": "regulator"}, "districts"),
        ({"role": "regulator", "districts": ["11"]}, "districts"),
        ({"role": "operator", "districts": ["110000"]}, "districts"),
        ({"role": "subject"}, "subject"),
        ({"role": "subject", "subject": "110105194912310021"}, "subject"),
        ({"role": "operator", "subject": "11010519491231002X"}, "subject"),
        ({"role": "agency", "agency": "tax.110000", "record_types": ["court.defaulter"]}, "record_types"),
        ({"role": "agency", "agency": "tax.110000", "record_types": ["no.such_type"]}, "record_types"),
        ({"role": "platform", "actions": ["air_ticket"], "record_types": ["admin.penalty"]}, "record_types"),
    ],
)
def test_a_principal_is_checked_against_the_roles_and_the_catalog(fields: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"name": "someone", "role": "operator", **fields}
    with pytest.raises(InvalidInput) as caught:
        access.principal_spec(CATALOG, **values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_agency_keys_default_to_every_record_type_the_catalog_allows() -> None:
    spec = access.principal_spec(CATALOG, name="tax", role="agency", agency="tax.110000")
    assert spec.scopes.record_types == {rt.code for rt in CATALOG.record_types_for("tax.110000")}
    assert spec.may_submit("tax.110000", "tax.rating")
    assert not spec.may_submit("tax.110000", "court.defaulter")
    assert not spec.may_submit("samr.110000")
    narrow = access.principal_spec(CATALOG, name="tax", role="agency", agency="tax.110000", record_types=["tax.rating"])
    assert narrow.scopes.record_types == {"tax.rating"}


def test_districts_cover_what_lies_within_them() -> None:
    beijing = access.principal_spec(CATALOG, name="r", role="regulator", districts=["110000"])
    chaoyang = access.principal_spec(CATALOG, name="r", role="regulator", districts=["110105"])
    assert beijing.covers_district("110105")
    assert beijing.covers_district("110000")
    assert not beijing.covers_district("310101")
    assert chaoyang.covers_district("110105")
    assert not chaoyang.covers_district("110106")
    assert not chaoyang.covers_district("110000")


def test_a_subject_is_itself_by_any_spelling_of_its_id() -> None:
    me = access.principal_spec(CATALOG, name="张三", role="subject", subject="11010519491231002x")
    assert me.subject == "11010519491231002X"
    assert me.is_subject("11010519491231002x")
    assert me.is_subject(None, "11010519491231002X")
    assert not me.is_subject("110105194912310048")
    assert not me.is_subject(None)
    platform = _spec()
    assert not platform.is_subject("11010519491231002X")


def test_reads_are_logged_with_their_purpose(store: Store, clock: FixedClock) -> None:
    reader = access.authenticate(store, clock, access.create_key(store, clock, _spec(role="operator", name="ops")).key)
    with store.unit_of_work() as conn:
        access.log_read(conn, reader, "subject:S00000001", "  复核  异议 ", at=clock.now())
    with store.connect() as conn:
        row = audit_rows.read_range(conn)[-1]
    assert (row.actor, row.role, row.action, row.object, row.purpose) == (
        "ops",
        "operator",
        "read",
        "subject:S00000001",
        "复核 异议",
    )
    assert row.detail == {"key": reader.key_prefix}
    with pytest.raises(InvalidInput) as caught, store.unit_of_work() as conn:
        access.log_read(conn, reader, "subject:S00000001", " ")
    assert caught.value.field == "purpose"


def test_keys_cli_prints_the_key_once(db_url: str, tmp_path: object) -> None:
    runner = CliRunner()
    env = {"XINYONG_DATABASE_URL": db_url, "XINYONG_HOME": str(tmp_path)}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    made = runner.invoke(
        app,
        [
            "keys",
            "create",
            "--role",
            "platform",
            "--name",
            "airline",
            "--actions",
            "air_ticket, rail_g_train",
            "--json",
        ],
        env=env,
    )
    assert made.exit_code == 0, made.output
    created = json.loads(made.stdout)
    assert KEY_PATTERN.fullmatch(created["key"])
    assert created["scopes"]["actions"] == ["air_ticket", "rail_g_train"]
    listed = runner.invoke(app, ["keys", "list", "--json"], env=env)
    assert created["key"] not in listed.stdout
    (shown,) = json.loads(listed.stdout)["keys"]
    assert (shown["prefix"], shown["name"], shown["revoked_at"]) == (created["prefix"], "airline", None)
    revoked = runner.invoke(app, ["keys", "revoke", created["prefix"], "--json"], env=env)
    assert revoked.exit_code == 0
    assert json.loads(revoked.stdout)["revoked_at"] is not None
    bad = runner.invoke(app, ["keys", "create", "--role", "platform", "--name", "x"], env=env)
    assert bad.exit_code == 1
    assert bad.stderr.strip() == "error: actions: a platform key must list the actions it enforces"
