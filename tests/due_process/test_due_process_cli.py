"""`xinyong subject`, `xinyong object` and `xinyong repair` from the command line: one JSON document with
--json in the contract's shape, one error line for bad input, and the change feed republished after a
decision."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from due_samples import ORG_ID, PERSON_ID, PERSON_MASKED, People, Registry, org_penalty, person_defaulter
from typer.testing import CliRunner

from xinyong.catalog import default_catalog
from xinyong.cli.app import app
from xinyong.screening import changes_for
from xinyong.store import Store, audit_rows

pytestmark = pytest.mark.integration
runner = CliRunner()
CAT = default_catalog()


@pytest.fixture(autouse=True)
def _environment(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray xinyong.toml
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_NOW", "2025-06-01")
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_object_file_list_and_withdraw(store: Store, registry: Registry, people: People) -> None:
    person_defaulter(registry, people.person)
    filed = _json(["object", "file", PERSON_ID, "--record", "court.110105:D1", "--grounds", "paid in May", "--json"])
    assert filed == {"objection": "O00000001", "status": "open", "deadline": "2025-06-16"}
    listed = _json(["object", "list", "--json"])
    assert isinstance(listed, list)
    assert [(o["objection"], o["record"], o["subject"], o["overdue"]) for o in listed] == [
        ("O00000001", "court.110105:D1", "S00000001", False)
    ]
    assert _json(["object", "list", "--overdue", "--json"]) == []

    decided = _json(["object", "decide", "O00000001", "--uphold", "--withdraw", "--reason", "paid", "--json"])
    assert decided == {
        "objection": "O00000001",
        "record": "court.110105:D1",
        "status": "upheld",
        "outcome": "withdraw",
        "reason": "paid",
        "version": 2,
    }
    check = _json(["check", PERSON_ID, "--action", "air_ticket", "--json"])
    assert isinstance(check, dict)
    assert check["allowed"] is True
    with store.connect() as conn:
        items, _ = changes_for(conn, CAT, 0, ["air_ticket"], key=b"k", clear_ids=True)
    assert items
    assert items[-1].valid_to == "2025-05-31"


def test_object_decide_with_a_corrections_file_and_the_usage_errors(
    store: Store, registry: Registry, people: People, tmp_path: Path
) -> None:
    person_defaulter(registry, people.person)
    _json(["object", "file", PERSON_ID, "--record", "court.110105:D1", "--grounds", "wrong amount", "--json"])
    for args, message in [
        (["--uphold", "--reject"], "decision: give exactly one of --uphold or --reject"),
        (["--uphold"], "decision: --uphold needs exactly one of --withdraw or --correct FILE"),
        (["--reject", "--withdraw"], "decision: --withdraw and --correct go with --uphold, not --reject"),
    ]:
        bad = runner.invoke(app, ["object", "decide", "O00000001", *args, "--reason", "r"])
        assert (bad.exit_code, bad.stderr.strip()) == (1, f"error: {message}")
    fixes = tmp_path / "fix.yaml"
    fixes.write_text("amount: 1250.50\nsummary: 更正执行标的\n", encoding="utf-8")
    decided = _json(
        ["object", "decide", "O00000001", "--uphold", "--correct", str(fixes), "--reason", "typo", "--json"]
    )
    assert isinstance(decided, dict)
    assert (decided["outcome"], decided["version"]) == ("correct", 2)
    shown = _json(["subject", PERSON_ID, "--json"])
    assert isinstance(shown, dict)
    (record,) = shown["records"]
    assert (record["amount"], record["summary"], record["contested"]) == ("1250.50", "更正执行标的", False)
    again = runner.invoke(app, ["object", "decide", "O00000001", "--reject", "--reason", "r"])
    assert again.stderr.strip() == "error: objection: objection O00000001 was already decided (upheld)"
    missing = runner.invoke(app, ["object", "decide", "O00000099", "--reject", "--reason", "r"])
    assert (missing.exit_code, missing.stderr.strip()) == (1, "error: objection: no objection has key 'O00000099'")


def test_repair_refused_then_pending_then_granted(
    store: Store, registry: Registry, people: People, tmp_path: Path
) -> None:
    org_penalty(registry, people.org, decided_on=date(2025, 2, 10), extra={"paid_on": "2025-02-20"})
    refused = _json(["repair", "apply", ORG_ID, "--record", "samr.110000:P1", "--json"])
    assert isinstance(refused, dict)
    assert set(refused) == {"application", "status", "reason", "earliest"}
    assert (refused["status"], refused["earliest"]) == ("refused", "2025-06-01")
    assert "commitment letter" in refused["reason"]

    letter = tmp_path / "letter.txt"
    letter.write_text("本单位承诺诚信经营。", encoding="utf-8")
    pending = _json(["repair", "apply", ORG_ID, "--record", "samr.110000:P1", "--commitment", str(letter), "--json"])
    assert isinstance(pending, dict)
    assert (pending["application"], pending["status"]) == ("R00000002", "pending")
    assert _json(["subject", ORG_ID, "--view", "public", "--json"])["records"] != []  # type: ignore[index]

    usage = runner.invoke(app, ["repair", "decide", "R00000002", "--reason", "ok"])
    assert usage.stderr.strip() == "error: decision: give exactly one of --grant or --refuse"
    granted = _json(["repair", "decide", "R00000002", "--grant", "--reason", "paid and promised", "--json"])
    assert granted == {
        "application": "R00000002",
        "record": "samr.110000:P1",
        "status": "granted",
        "reason": "paid and promised",
        "version": 2,
    }
    public = _json(["subject", ORG_ID, "--view", "public", "--json"])
    assert isinstance(public, dict)
    assert public["records"] == []


def test_subject_views_and_the_read_is_logged(store: Store, registry: Registry, people: People) -> None:
    person_defaulter(registry, people.person)
    public = _json(["subject", PERSON_ID, "--view", "public", "--json"])
    assert isinstance(public, dict)
    assert public["subject"]["id"] == PERSON_MASKED
    with store.connect() as conn:
        assert audit_rows.for_object(conn, f"subject:{PERSON_ID}") == []  # public reads are not logged
    full = _json(["subject", "S00000001", "--purpose", "complaint 12", "--json"])
    assert isinstance(full, dict)
    assert full["subject"]["id"] == PERSON_ID
    assert full["access_log"] == []
    again = _json(["subject", PERSON_ID, "--json"])
    assert isinstance(again, dict)
    assert [(e["who"], e["role"], e["purpose"]) for e in again["access_log"]] == [("cli", "operator", "complaint 12")]

    text = runner.invoke(app, ["subject", PERSON_ID])
    assert text.exit_code == 0
    assert "court.110105:D1" in text.stdout
    assert "deny" in text.stdout
    bad = runner.invoke(app, ["subject", PERSON_ID, "--view", "secret"])
    assert (bad.exit_code, bad.stderr.strip()) == (
        1,
        "error: view: 'secret' is not a view (one of public, shared, full)",
    )
    unknown = runner.invoke(app, ["subject", "440524188001010014"])
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "error: id: the registry holds no subject 440524********0014"
