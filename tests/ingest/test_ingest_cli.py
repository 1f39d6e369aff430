"""`xinyong ingest` and `xinyong records`: the contract's JSON, one line per version, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ingest_samples import ORG_IDS, org_row, person_row, write_csv
from typer.testing import CliRunner

from xinyong.cli.app import app
from xinyong.store import Store

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, db_url: str, store: Store, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "XINYONG_DATABASE_URL": db_url,
        "XINYONG_HOME": str(tmp_path / "home"),
        "XINYONG_NOW": "2025-06-01",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_ingest_json_then_records(tmp_path: Path, env: dict[str, str]) -> None:
    feed = write_csv(tmp_path / "mee.csv", [org_row(1), person_row(2, subject_id=None), org_row(3, decided_on="x")])
    result = runner.invoke(app, ["ingest", str(feed), "--agency", "mee.110000", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    quarantine = str(Path(env["XINYONG_HOME"]) / "quarantine" / f"{summary['batch']}.csv")
    assert summary == {
        "batch": summary["batch"],
        "accepted": 2,
        "rejected": 1,
        "unchanged": 0,
        "superseded": 0,
        "rows": 3,
        "quarantine": quarantine,
    }
    again = runner.invoke(app, ["ingest", str(feed), "--agency", "mee.110000"])
    assert again.exit_code == 0
    assert "3 rows, 0 accepted, 0 superseded, 2 unchanged, 1 rejected" in again.stdout

    listed = runner.invoke(app, ["records", "--jsonl"])
    assert listed.exit_code == 0
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(line["record_id"], line["subject"], line["link"], line["current"]) for line in lines] == [
        ("R000001", ORG_IDS[1], "id", True),
        ("P000002", None, "pending", True),
    ]
    first = lines[0]
    assert list(first)[:7] == ["agency", "record_id", "record_type", "subject", "link", "probability", "current"]
    assert (first["agency"], first["record_type"], first["probability"], first["version"]) == (
        "mee.110000",
        "admin.penalty",
        None,
        1,
    )
    assert first["batch"] == summary["batch"]
    assert runner.invoke(app, ["records", "--agency", "court.110105"]).stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agency", "nope.000000"], "error: agency: unknown agency 'nope.000000'; `xinyong catalog` lists them\n"),
        (
            ["--agency", "mee.110000", "--format", "xml"],
            "error: format: unknown format 'xml'; choose one of csv, jsonl, parquet, xlsx\n",
        ),
        (["--agency", "mee.110000", "--encoding", "klingon"], "error: encoding: unknown text encoding 'klingon'\n"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(
    tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    feed = write_csv(tmp_path / "mee.csv", [org_row(1)])
    result = runner.invoke(app, ["ingest", str(feed), *args])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)


def test_engine_option_says_what_reads_parquet(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from xinyong.ingest import readers

    feed = write_csv(tmp_path / "mee.csv", [org_row(1), org_row(2)])
    header = feed.read_text(encoding="utf-8").splitlines()[0].lstrip("\ufeff").split(",")
    table = pacsv.read_csv(feed, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())))
    parquet = tmp_path / "mee.parquet"
    pq.write_table(table, parquet)
    masters: list[str] = []

    def on_spark(path: Path, label: str, master: str) -> Any:
        masters.append(master)
        return iter(())

    monkeypatch.setattr(readers, "spark_parquet_rows", on_spark)
    monkeypatch.setenv("XINYONG_ENGINE", "spark")
    monkeypatch.setenv("XINYONG_SPARK_MASTER", "local[1]")
    # The option wins over XINYONG_ENGINE: pyarrow reads the file here, Spark is never asked.
    here = runner.invoke(app, ["ingest", str(parquet), "--agency", "mee.110000", "--engine", "duckdb", "--json"])
    assert here.exit_code == 0, here.output
    assert (json.loads(here.stdout)["rows"], masters) == (2, [])
    on_cluster = runner.invoke(app, ["ingest", str(parquet), "--agency", "mee.110000", "--engine", "spark", "--json"])
    assert on_cluster.exit_code == 0, on_cluster.output
    assert (json.loads(on_cluster.stdout)["rows"], masters) == (0, ["local[1]"])
    wrong = runner.invoke(app, ["ingest", str(parquet), "--agency", "mee.110000", "--engine", "hadoop"])
    assert wrong.exit_code != 0
    assert "--engine" in wrong.output
    assert "must be one of duckdb, spark" in wrong.output
