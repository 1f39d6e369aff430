"""`xinyong rate` and `xinyong model report` on the command line, and `GET /v1/ratings/{uscc}` by role."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from rating_samples import org_id, registry
from typer.testing import CliRunner

from xinyong import access
from xinyong.api.app import create_app
from xinyong.bootstrap import Services
from xinyong.catalog import default_catalog
from xinyong.cli.app import app
from xinyong.clock import FixedClock
from xinyong.rating import rate_all
from xinyong.settings import Settings
from xinyong.store import Store, audit_rows

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture
def env(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XINYONG_NOW", "2025-06-01")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_rate_prints_one_json_document_and_writes_json_lines(store: Store, env: Path) -> None:
    registry(store)
    out = env / "ratings.jsonl"
    result = runner.invoke(app, ["rate", "--model", "tax_style", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["model"], doc["rated"], doc["as_of"]) == ("tax_style", 4, "2025-06-01")
    assert {g["grade"]: g["count"] for g in doc["grades"]} == {"A": 1, "B": 1, "M": 1, "C": 0, "D": 1}
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    assert list(json.loads(lines[0]))[:5] == ["uscc", "grade", "score", "model", "reasons"]


def test_rate_text_output_and_user_errors(store: Store, env: Path) -> None:
    registry(store)
    result = runner.invoke(app, ["rate"])
    assert result.exit_code == 0, result.output
    assert "tax_style" in result.stdout
    assert "grade" in result.stdout
    bad = runner.invoke(app, ["rate", "--model", "nope"])
    assert bad.exit_code == 1
    assert bad.output.strip().splitlines()[-1].startswith("error: model: unknown rating model 'nope'")
    untrained = runner.invoke(app, ["rate", "--model", "risk_scorecard"])
    assert untrained.exit_code == 1
    assert "xinyong model train" in untrained.output
    usage = runner.invoke(app, ["model", "train", "--history", "sometimes"])
    assert usage.exit_code == 2


def test_model_report_writes_under_home(store: Store, env: Path) -> None:
    registry(store)
    result = runner.invoke(app, ["model", "report", "--model", "tax_style", "--history", "legal", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["model"] == "tax_style"
    html = Path(doc["report"]["html"])
    assert html.is_file()
    assert html.parent.parent == env / "home" / "reports"


def _client(store: Store, clock: FixedClock, tmp_path: Path) -> tuple[TestClient, Services]:
    settings = Settings(database_url=store.url, home=tmp_path / "home")
    services = Services(settings=settings, clock=clock, catalog=default_catalog(), _store=store)
    return TestClient(create_app(services)), services


def _key(services: Services, name: str, role: str, **scopes: object) -> dict[str, str]:
    spec = access.principal_spec(services.catalog, name=name, role=role, **scopes)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {access.create_key(services.store, services.clock, spec).key}"}


def test_ratings_route_full_for_a_covering_regulator_public_part_for_others(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    pks = registry(store)
    rate_all(store, default_catalog(), clock, code="tax_style")
    client, services = _client(store, clock, tmp_path)
    fined = org_id(3)
    public = client.get(f"/v1/ratings/{fined}")
    assert public.status_code == 200, public.text
    body = public.json()
    assert (body["grade"], body["model"], body["view"]) == ("B", "tax_style", "public")
    assert "score" not in body
    assert body["reasons"] == [
        {
            "code": "general_penalty",
            "label_zh": "近12个月一般行政处罚 2 次",
            "label_en": "2 general administrative penalties in 12 months",
        }
    ]

    regulator = _key(services, "beijing", "regulator", districts=["110000"])
    assert client.get(f"/v1/ratings/{fined}", headers=regulator).status_code == 422  # no purpose stated
    full = client.get(f"/v1/ratings/{fined}", headers={**regulator, "X-Purpose": "classified supervision"})
    assert full.status_code == 200, full.text
    assert (full.json()["view"], full.json()["score"]) == ("full", 88.0)
    assert full.json()["reasons"][0]["points"] == -12.0
    with store.connect() as conn:
        reads = audit_rows.for_object(conn, f"rating:S{pks['fined']:08d}")
    assert [(r.action, r.purpose) for r in reads] == [("read", "classified supervision")]

    elsewhere = _key(services, "tianjin", "regulator", districts=["120000"])
    assert client.get(f"/v1/ratings/{fined}", headers=elsewhere).json()["view"] == "public"
    assert client.get("/v1/ratings/91110105MA01XXXXX0").status_code == 422
    assert client.get(f"/v1/ratings/{org_id(99)}").status_code == 404
