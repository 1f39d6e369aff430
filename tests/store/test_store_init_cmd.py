"""`xinyong init`: creates or migrates the database named by XINYONG_DATABASE_URL, idempotently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.cli.app import app
from xinyong.errors import StoreError
from xinyong.store import Store
from xinyong.store.migrate import head_revision as _head

HEAD = _head()


def test_init_twice_reports_the_revision(db_url: str) -> None:
    runner = CliRunner()
    env = {"XINYONG_DATABASE_URL": db_url}
    first = runner.invoke(app, ["init", "--json"], env=env)
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["init", "--json"], env=env)
    assert second.exit_code == 0, second.output
    shown = Store(db_url).display_url
    assert json.loads(first.stdout) == {"database": shown, "revision": HEAD, "previous": None}
    assert json.loads(second.stdout) == {"database": shown, "revision": HEAD, "previous": HEAD}
    store = Store(db_url)
    try:
        store.check()
    finally:
        store.dispose()


def test_init_prints_a_line_without_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'x.db'}"
    result = CliRunner().invoke(app, ["init"], env={"XINYONG_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"database {url} created at schema revision {HEAD}"


@pytest.mark.integration
def test_init_on_an_unreachable_database_is_a_store_error() -> None:
    env = {"XINYONG_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = CliRunner().invoke(app, ["init"], env=env)
    assert result.exit_code == StoreError.exit_code
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert "127.0.0.1:1" in line
    assert "Traceback" not in result.output


def test_init_has_help() -> None:
    result = CliRunner().invoke(app, ["init", "--help"])
    assert result.exit_code == 0
    assert "Create or migrate the database" in result.stdout
