"""Commit-reveal against the store: the seed must match the published hash, draws are stored and audited,
targets come from the regulator's jurisdiction weighted by grade, and inspectors never meet their own firm."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.catalog import default_catalog
from xinyong.cli.app import app
from xinyong.clock import CST, FixedClock
from xinyong.errors import InvalidInput
from xinyong.ids import uscc
from xinyong.inspection import commit, demo_roster, draw, load_roster, read_roster
from xinyong.rating import rate_all
from xinyong.store import NewSubject, RecordData, Store, audit_rows, records, subjects
from xinyong.store import ratings as repo

pytestmark = pytest.mark.integration

CATALOG = default_catalog()
REP_ID = "11010519491231002X"
RECORDED = datetime(2025, 1, 1, 9, tzinfo=CST)


def populate(store: Store, *, beijing: int = 12, tianjin: int = 3) -> list[str]:
    """Beijing organisations (one with a serious-illegal listing, one run by REP_ID) and a few in Tianjin."""
    made = []
    with store.unit_of_work() as conn:
        for n in range(beijing + tianjin):
            division = "110105" if n < beijing else "120101"
            code = uscc.generate(random.Random(n), division=division)
            org = subjects.create(
                conn,
                NewSubject(kind="org", name=f"公司{n}", name_norm=f"公司{n}", id_kind="uscc", id_value=code),
                at=RECORDED,
            )
            rows = [("admin.license", None)]
            if n == 0:
                rows.append(("market.serious_illegal", None))
            for i, (record_type, _) in enumerate(rows):
                records.insert_version(
                    conn,
                    RecordData(
                        agency="samr.110000",
                        record_id=f"R{n}-{i}",
                        record_type=record_type,
                        subject_kind="org",
                        subject_name=org.name,
                        subject_id=code,
                        subject_pk=org.pk,
                        link="id",
                        decided_on=date(2020, 1, 1) if i == 0 else date(2025, 3, 1),
                        row_hash=f"h{n}-{i}",
                        legal_rep_name="张三" if n == 1 else None,
                        legal_rep_id=REP_ID if n == 1 else None,
                    ),
                    recorded_at=RECORDED,
                )
            made.append(code)
    return made


def roster_file(tmp_path: Path, codes: list[str]) -> Path:
    path = tmp_path / "inspectors.csv"
    path.write_text(
        "regulator,code,name,resident_id,conflicts\n"
        f"samr.110000,A01,王五,{REP_ID},\n"
        f"samr.110000,A02,赵六,,{codes[2]}\n"
        "samr.110000,A03,钱七,,\n"
        "samr.110000,A04,孙八,,\n"
        "mee.110000,E01,周九,,\n",
        encoding="utf-8",
    )
    return path


def test_commit_then_draw_with_the_committed_seed(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    populate(store)
    made = commit(store, CATALOG, clock, regulator="samr.110000")
    assert made.seed_hash == hashlib.sha256(made.seed.encode()).hexdigest()
    with store.connect() as conn:
        pending = repo.open_commitment(conn, "samr.110000")
    assert pending is not None
    assert (pending.seed, pending.seed_hash) == (None, made.seed_hash)  # the seed is not in the registry yet

    with pytest.raises(InvalidInput, match="does not hash to commitment") as caught:
        draw(store, CATALOG, clock, regulator="samr.110000", n=3, seed="12345", roster=demo_roster("samr.110000"))
    assert caught.value.field == "seed"
    with store.connect() as conn:
        assert repo.open_commitment(conn, "samr.110000") is not None  # a refused seed reveals nothing

    result = draw(
        store, CATALOG, clock, regulator="samr.110000", n=3, seed=made.seed, roster=demo_roster("samr.110000")
    )
    doc = result.as_dict()
    assert result.precommitted is True
    assert (doc["draw"], doc["seed"], doc["seed_hash"]) == (made.draw, made.seed, made.seed_hash)
    assert len(doc["targets"]) == 3
    assert all(len(t["inspectors"]) == 2 for t in doc["targets"])
    assert [t["record_id"] for t in doc["targets"]] == [f"{made.draw}-000{i}" for i in (1, 2, 3)]
    with store.connect() as conn:
        assert repo.open_commitment(conn, "samr.110000") is None
        events = audit_rows.for_object(conn, f"draw:{made.draw}")
    assert [e.action for e in reversed(events)] == ["inspect.commit", "inspect.draw"]


def test_without_a_commitment_the_draw_commits_and_reveals_at_once_reproducibly(
    store: Store, clock: FixedClock
) -> None:
    populate(store)
    roster = demo_roster("samr.110000")
    first = draw(store, CATALOG, clock, regulator="samr.110000", n=5, seed="42", roster=roster).as_dict()
    again = draw(store, CATALOG, clock, regulator="samr.110000", n=5, seed="42", roster=roster).as_dict()
    assert first["precommitted"] is False
    assert first["committed_at"] == first["revealed_at"]
    assert first["seed_hash"] == hashlib.sha256(b"42").hexdigest()
    assert first["draw"] != again["draw"]
    strip = [{k: v for k, v in t.items() if k != "record_id"} for t in first["targets"]]
    assert strip == [{k: v for k, v in t.items() if k != "record_id"} for t in again["targets"]]
    assert first["params"]["population_sha256"] == again["params"]["population_sha256"]


def test_targets_come_from_the_jurisdiction_weighted_by_grade(store: Store, clock: FixedClock) -> None:
    codes = populate(store)
    rate_all(store, CATALOG, clock, code="tax_style")
    result = draw(store, CATALOG, clock, regulator="samr.110000", n=12, seed="7", roster=demo_roster("samr.110000"))
    doc = result.as_dict()
    assert doc["params"]["population"] == 12  # Tianjin organisations are outside Beijing's regulator
    assert {t["uscc"] for t in doc["targets"]} == set(codes[:12])
    listed = next(t for t in doc["targets"] if t["uscc"] == codes[0])
    assert (listed["grade"], listed["weight"]) == ("D", 4.0)
    assert {t["weight"] for t in doc["targets"] if t["grade"] == "A"} == {0.5}
    with pytest.raises(InvalidInput, match="cannot draw 13"):
        draw(store, CATALOG, clock, regulator="samr.110000", n=13, seed="7", roster=demo_roster("samr.110000"))
    with pytest.raises(InvalidInput, match="court"):
        draw(store, CATALOG, clock, regulator="court.110105", n=1, seed="7", roster=demo_roster("court.110105"))


def test_an_inspector_never_inspects_a_firm_they_represent_or_declared(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    codes = populate(store)
    roster = load_roster("samr.110000", path=roster_file(tmp_path, codes), home=tmp_path)
    assert [i.code for i in roster.inspectors] == ["A01", "A02", "A03", "A04"]
    for seed in ("1", "2", "3"):
        doc = draw(store, CATALOG, clock, regulator="samr.110000", n=12, seed=seed, roster=roster).as_dict()
        by_uscc = {t["uscc"]: set(t["inspectors"]) for t in doc["targets"]}
        assert "A01" not in by_uscc[codes[1]]  # A01 is that firm's legal representative
        assert "A02" not in by_uscc[codes[2]]  # A02 declared a conflict with that firm
        assert all(len(s) == 2 for s in by_uscc.values())


def test_roster_files_are_checked_and_the_demo_roster_stands_in(tmp_path: Path) -> None:
    assert load_roster("samr.110000", path=None, home=tmp_path).source == "demo"
    assert len(demo_roster("samr.110000").inspectors) == 12
    bad = tmp_path / "bad.csv"
    bad.write_text("regulator,code,name,conflicts\nsamr.110000,A01,王五,91110105MA01XXXXX0\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="line 2: conflict"):
        read_roster(bad)
    with pytest.raises(InvalidInput, match=r"lists no inspector of tax\.110000"):
        load_roster(
            "tax.110000", path=roster_file(tmp_path, ["x", "y", uscc.generate(random.Random(1))]), home=tmp_path
        )
    with pytest.raises(InvalidInput, match="cannot read the roster"):
        load_roster("samr.110000", path=tmp_path / "missing.csv", home=tmp_path)


def test_inspect_commands_commit_then_draw(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    populate(store)
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XINYONG_NOW", "2025-06-01")
    runner = CliRunner()
    committed = runner.invoke(app, ["inspect", "commit", "--regulator", "samr.110000", "--json"])
    assert committed.exit_code == 0, committed.output
    made = json.loads(committed.stdout)
    wrong = runner.invoke(app, ["inspect", "draw", "--regulator", "samr.110000", "--n", "2", "--seed", "1"])
    assert wrong.exit_code == 1
    assert "error: seed: the seed does not hash" in wrong.output
    drawn = runner.invoke(
        app, ["inspect", "draw", "--regulator", "samr.110000", "--n", "2", "--seed", made["seed"], "--json"]
    )
    assert drawn.exit_code == 0, drawn.output
    doc = json.loads(drawn.stdout)
    assert (doc["seed_hash"], doc["precommitted"], len(doc["targets"])) == (made["seed_hash"], True, 2)
    text = runner.invoke(app, ["inspect", "draw", "--regulator", "samr.110000", "--n", "2", "--seed", "99"])
    assert text.exit_code == 0, text.output
    first = text.stdout.splitlines()[0]
    assert first.startswith("seed hash (no prior commitment")
    assert hashlib.sha256(b"99").hexdigest() in first
